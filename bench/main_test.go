package bench

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/harborai/ingest/bench/report"
	"github.com/harborai/ingest/internal/pgtest"
)

// Flags of the benchmark binary (go test ./bench -args -out=DIR ...).
var (
	flagOut    = flag.String("out", "", "directory for the sections (markdown + raw figures); empty = only log them")
	flagCalls  = flag.Int("calls", 200_000, "calls per ingest run (each a request and a response event)")
	flagBatch  = flag.String("batches", "", "ingest: comma-separated batch sizes of the end-to-end runs instead of 250,1000,4000 (to iterate; the call-event and psql runs are left out)")
	flagEnv    = flag.String("ingestor-env", "", "ingest: extra environment of the ingestor in partial runs (-batches), comma-separated, e.g. HARBORAI_WRITERS=1")
	flagWriter = flag.String("writer-sessions", "", "ingest: in partial runs (-batches), after each (b) also write the same calls built in this process through pkg/pg's Writer with this many sessions at once, comma-separated, e.g. 1,2")
	flagRounds = flag.Int("rounds", 0, "ingest: rounds of runs, each (a) beside its (b) and (c), whose ratios are reported per round and as medians; 0 = 3 (1 in partial runs, -batches, and under -quick)")
	flagQuick  = flag.Bool("quick", false, "smaller sizes and shorter phases, to check the benchmarks run (figures not meaningful)")
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// scaled returns full, or quick under -quick.
func scaled[T any](full, quick T) T {
	if *flagQuick {
		return quick
	}
	return full
}

// section collects a benchmark's section and writes it when the benchmark
// ends (to -out; always to the log).
type section struct {
	s report.Section
}

func newSection(name string) *section {
	env := report.CollectEnv(filepath.Join(BinDir(), "ingestor"))
	return &section{s: report.Section{Name: name, Started: time.Now().UTC(), Env: env}}
}

// finish writes the section with its markdown and raw figures.
func (sec *section) finish(b *testing.B, markdown string, data any) {
	b.Helper()
	sec.s.Finished = time.Now().UTC()
	sec.s.Markdown = markdown
	raw, err := json.Marshal(data)
	if err != nil {
		b.Fatalf("encode %s figures: %v", sec.s.Name, err)
	}
	sec.s.Data = raw
	b.Logf("section %s:\n%s", sec.s.Name, markdown)
	if *flagOut == "" {
		return
	}
	if err := report.Write(*flagOut, sec.s); err != nil {
		b.Fatal(err)
	}
}
