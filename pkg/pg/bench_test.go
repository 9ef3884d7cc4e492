package pg

import (
	"bytes"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"
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

// BenchmarkWriteMerge measures the merge path (staging COPY + upsert):
// responses, with bodies of about 1.6 KB, written to calls stored with
// their requests only, batches of 500. The requests are written untimed.
func BenchmarkWriteMerge(b *testing.B) {
	w := benchWriter(b)
	body := strings.Repeat("x", 1600)
	b.ResetTimer()
	for i := 0; i < b.N; i += benchBatch {
		var reqs, resps []record.Call
		for j := i; j < min(i+benchBatch, b.N); j++ {
			f := fragments(fmt.Sprintf("bench-%09d", j))
			f[1].ResponseBody = &body
			reqs, resps = append(reqs, f[0]), append(resps, f[1])
		}
		b.StopTimer()
		if err := w.Write(b.Context(), reqs); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := w.Write(b.Context(), resps); err != nil {
			b.Fatal(err)
		}
	}
	if c := w.Counts(); c.Merged != int64(b.N) {
		b.Fatalf("%d calls merged, want %d (%+v)", c.Merged, b.N, c)
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

// BenchmarkSessionStatement measures what PostgreSQL's backend spends on
// the writer's COPY into calls, with and without the prepared statement
// over calls that prepareConn keeps in the session, alternating on two
// connections of one database (calls emptied before each round). It
// reports the backend's CPU per 1,000 calls, read from /proc.
func BenchmarkSessionStatement(b *testing.B) {
	w := benchWriter(b)
	ctx := b.Context()
	batches := benchCalls(b)
	// Bodies of random words, ~1.5 KB each, compressing about as the
	// generator's in bench/ do: rows PostgreSQL moves to the TOAST table.
	r := rand.New(rand.NewPCG(7, 7))
	words := strings.Fields("the a model token 模型 请求 latency stream usage cost 你好 世界 vendor request response json price " +
		"cache prompt completion reasoning trace span error retry quota region deploy")
	text := func() *string {
		var sb strings.Builder
		for sb.Len() < 1500 {
			sb.WriteString(words[r.IntN(len(words))])
			sb.WriteString(strconv.Itoa(r.IntN(1000)))
			sb.WriteByte(' ')
		}
		s := sb.String()
		return &s
	}
	for _, batch := range batches {
		for j := range batch {
			batch[j].RequestBody, batch[j].ResponseBody = text(), text()
		}
	}
	encoded := make([]*copyRows, len(batches))
	for i, batch := range batches {
		encoded[i] = new(copyRows)
		for j := range batch {
			if err := encoded[i].add(&batch[j]); err != nil {
				b.Fatal(err)
			}
		}
	}
	with, err := w.Pool().Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer with.Release()
	without, err := w.Pool().Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer without.Release()
	if err := prepareConn(ctx, with.Conn()); err != nil {
		b.Fatal(err)
	}
	cpu := map[string]time.Duration{}
	b.ResetTimer()
	for range 3 {
		for name, conn := range map[string]*pgxpool.Conn{"with": with, "without": without} {
			if _, err := conn.Exec(ctx, "TRUNCATE calls"); err != nil {
				b.Fatal(err)
			}
			pid := conn.Conn().PgConn().PID()
			before := backendCPU(b, pid)
			for _, rows := range encoded {
				r, _ := rows.reader(0, len(rows.ends), unstoredRows)
				if _, err := conn.Conn().PgConn().CopyFrom(ctx, r, copyCallsSQL); err != nil {
					b.Fatal(err)
				}
			}
			cpu[name] += backendCPU(b, pid) - before
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(3*b.N) * 1000 }
	b.ReportMetric(per(cpu["with"]), "cpu-ms/1k-calls-with")
	b.ReportMetric(per(cpu["without"]), "cpu-ms/1k-calls-without")
}

// backendCPU is the user+system CPU time of process pid, from /proc.
func backendCPU(b *testing.B, pid uint32) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Skipf("backend CPU: %v", err)
	}
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
	user, _ := strconv.ParseInt(f[11], 10, 64)
	sys, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(user+sys) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// BenchmarkPrune measures Prune: b.N calls (bodies of about 1.6 KB, written
// untimed) whose bodies are cleared, then deleted, in batches of 1,000.
func BenchmarkPrune(b *testing.B) {
	w := benchWriter(b)
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	for i, batch := range benchCalls(b) {
		for j := range batch {
			batch[j].StartedAt = now.Add(-400*24*time.Hour - time.Duration(i*benchBatch+j)*time.Second)
		}
		if err := w.Write(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
	}
	day := 24 * time.Hour
	b.ResetTimer()
	bodies, err := Prune(b.Context(), w.Pool(), Retention{Bodies: 30 * day}, now)
	if err != nil || bodies.BodiesCleared != int64(b.N) {
		b.Fatalf("Prune(bodies) = %+v, %v", bodies, err)
	}
	calls, err := Prune(b.Context(), w.Pool(), Retention{Calls: 365 * day}, now)
	if err != nil || calls.CallsDeleted != int64(b.N) {
		b.Fatalf("Prune(calls) = %+v, %v", calls, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}
