package bench

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
)

// runWriter is (b'), a diagnostic of partial runs: n calls made as the
// pipeline makes them (built from the same events, merged, in call id
// order) in this process before the clock starts, then written through
// pkg/pg's Writer, chunk calls per write, by sessions goroutines taking
// the chunks in turn, each with a connection of its own. Next to (a) and
// (b) it tells PostgreSQL's cost of the writer's protocol and sessions
// apart from that of running beside the rest of the pipeline.
func runWriter(b *testing.B, cluster *pgtest.Cluster, gen Gen, n, chunk, sessions int) IngestRun {
	b.Helper()
	ctx := context.Background()
	calls := builtCalls(b, gen, 0, n)

	url := prepare(b, cluster)
	pool := Migrated(b, url)
	defer drop(b, cluster, pool)
	cfg := pg.DefaultConfig()
	cfg.URL, cfg.MaxConns = url, int32(sessions)
	w, err := pg.NewWriter(ctx, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	if err := w.Ping(ctx); err != nil {
		b.Fatal(err)
	}
	errs := make([]error, sessions)
	cpuSelf, cpuPG := SelfCPU(), TreeCPU(cluster.PID())
	start := time.Now()
	var wg sync.WaitGroup
	for s := range sessions {
		wg.Go(func() {
			for i := s * chunk; i < len(calls) && errs[s] == nil; i += sessions * chunk {
				errs[s] = w.Write(ctx, calls[i:min(i+chunk, len(calls))])
			}
		})
	}
	wg.Wait()
	run := IngestRun{
		Name: "(b')", Method: "pg.Writer", Batch: chunk, Calls: len(calls),
		Wall:        time.Since(start),
		CPUBench:    SelfCPU() - cpuSelf,
		CPUPostgres: TreeCPU(cluster.PID()) - cpuPG,
	}
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	run.CallsPerSec = float64(len(calls)) / run.Wall.Seconds()
	if run.Counts, err = Count(ctx, pool, gen.Run); err != nil {
		b.Fatal(err)
	}
	if run.Counts.Complete != int64(n) {
		b.Fatalf("(b') stored %+v, want %d complete calls", run.Counts, n)
	}
	b.Logf("(b') pg.Writer, %d session(s), %d calls per write: %s, %.0f calls/s; ran %s-%s", sessions, chunk, run.Wall, run.CallsPerSec,
		start.UTC().Format("15:04:05.000"), start.Add(run.Wall).UTC().Format("15:04:05.000"))
	return run
}

// builtCalls is calls [from, from+n) of gen as the ingestor builds them:
// from their request and response events, priced by the built-in table (no
// environment prices), merged, in call id order.
func builtCalls(tb testing.TB, gen Gen, from, n int) []record.Call {
	tb.Helper()
	pricer, err := cost.NewPricer(cost.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	evs := Events(gen, from, n, false, time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	calls := make([]record.Call, 0, len(evs))
	for _, ev := range evs {
		calls = append(calls, ingest.Build(ev, pricer, ingest.BuildOptions{KeepBodies: true}))
	}
	calls = ingest.MergeBatch(calls)
	slices.SortFunc(calls, func(a, b record.Call) int { return strings.Compare(a.CallID, b.CallID) })
	return calls
}
