package pg

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/pkg/record"
)

const benchBatch = 500

// benchCalls returns b.N calls in batches, with bodies of about 1.6 KB.
func benchCalls(b *testing.B) [][]record.Call {
	body := strings.Repeat("x", 800)
	var batches [][]record.Call
	for i := 0; i < b.N; i += benchBatch {
		var batch []record.Call
		for j := i; j < min(i+benchBatch, b.N); j++ {
			c := fullCall(fmt.Sprintf("bench-%09d", j))
			c.RequestBody, c.ResponseBody = &body, &body
			batch = append(batch, c)
		}
		batches = append(batches, batch)
	}
	return batches
}

func benchWriter(b *testing.B) *Writer {
	url := pgtest.Start(b).NewDB(b)
	w, err := NewWriter(b.Context(), Config{URL: url}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = w.Close() })
	if _, err := Migrate(b.Context(), w.Pool()); err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkWrite measures Writer.Write (staging COPY + merge), batches of 500.
func BenchmarkWrite(b *testing.B) {
	w := benchWriter(b)
	batches := benchCalls(b)
	b.ResetTimer()
	for _, batch := range batches {
		if err := w.Write(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkCopyFromBaseline measures a plain pgx CopyFrom of the same rows
// into calls (no staging, no merge): the reference of SPEC §13.
func BenchmarkCopyFromBaseline(b *testing.B) {
	w := benchWriter(b)
	batches := benchCalls(b)
	rows := make([][][]any, len(batches))
	for i, batch := range batches {
		for j := range batch {
			rows[i] = append(rows[i], callRow(&batch[j]))
		}
	}
	b.ResetTimer()
	for _, r := range rows {
		if _, err := w.Pool().CopyFrom(b.Context(), pgx.Identifier{"calls"}, columnNames, pgx.CopyFromRows(r)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}
