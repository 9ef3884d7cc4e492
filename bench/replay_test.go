package bench

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/replay"
	"github.com/harborai/ingest/pkg/spool"
)

// runReplay is (r): n calls spooled as an ingestor without PostgreSQL
// spools them (built from the same request and response events, merged
// per batch of batch events, written by the ingestor's spool sink with the
// spool's defaults), before the clock starts; then bin/replayer loads the
// spool into a freshly migrated database (--batch-size calls per write,
// --migrate=false: the schema is there), timed from its start to its exit.
// The automatic drain of the spool after a PostgreSQL outage is to reuse
// the replayer's code: SPEC §13 wants the drain at >= 0.5 of CopyFrom.
func runReplay(b *testing.B, cluster *pgtest.Cluster, gen Gen, n, batch, callsPerWrite int) IngestRun {
	b.Helper()
	ctx := context.Background()
	dir := filepath.Join(b.TempDir(), "spool")
	spooled := spoolCalls(b, gen, n, batch, dir)

	url := prepare(b, cluster)
	pool := Migrated(b, url)
	defer drop(b, cluster, pool)
	cmd := exec.Command(filepath.Join(BinDir(), "replayer"), "-postgres-url", url, "-migrate=false",
		"-batch-size", strconv.Itoa(callsPerWrite), "-quiet", "-json", dir)
	cpuPG := TreeCPU(cluster.PID())
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	if err != nil {
		var stderr []byte
		if ee, ok := errors.AsType[*exec.ExitError](err); ok {
			stderr = ee.Stderr
		}
		b.Fatalf("replayer: %v\n%s%s", err, out, stderr)
	}
	run := IngestRun{
		Name: "(r)", Method: "replayer", Events: "spooled calls", Batch: callsPerWrite, Calls: n,
		Wall:        wall,
		CPUBench:    cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(),
		CPUPostgres: TreeCPU(cluster.PID()) - cpuPG,
	}
	run.CallsPerSec = float64(n) / wall.Seconds()
	var sum replay.Summary
	if err := json.Unmarshal(out, &sum); err != nil {
		b.Fatalf("replayer summary: %v\n%s", err, out)
	}
	if run.Counts, err = Count(ctx, pool, gen.Run); err != nil {
		b.Fatal(err)
	}
	if sum.Calls != spooled || sum.Corrupt != 0 || sum.Quarantined != 0 || run.Counts.Complete != int64(n) || run.Counts.Rows != int64(n) {
		b.Fatalf("replayer loaded %+v; table %+v; want %d complete calls (%d spooled)", sum, run.Counts, n, spooled)
	}
	b.Logf("(r) replayer: %d calls from %d segments in %s, %.0f calls/s", n, sum.Segments, wall, run.CallsPerSec)
	return run
}

// spoolCalls writes calls [0, n) of gen into a spool at dir as the
// ingestor's spool sink does: built from their request and response
// events, a batch of batch events at a time, merged. It returns the number
// of records written (the calls of all batches: a call split between two
// batches is two records, merged again by the replayer).
func spoolCalls(b *testing.B, gen Gen, n, batch int, dir string) int {
	b.Helper()
	ctx := context.Background()
	w, err := spool.Open(spool.Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	sink := ingest.NewSpoolSink(w, ingestor.ReasonNoPostgres)
	records := 0
	perBatch := max(batch/2, 1)
	for from := 0; from < n; from += perBatch {
		calls := builtCalls(b, gen, from, min(perBatch, n-from))
		if err := sink.Write(ctx, calls); err != nil {
			b.Fatalf("spool: %v", err)
		}
		records += len(calls)
	}
	if err := sink.Close(); err != nil {
		b.Fatal(err)
	}
	return records
}
