package spool

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// benchPayloads returns n call-sized (~1.7 KB) payloads.
func benchPayloads(n int) [][]byte {
	body := strings.Repeat("lorem ipsum ", 130)
	ps := make([][]byte, n)
	for i := range ps {
		ps[i] = fmt.Appendf(nil, `{"call_id":"call-%08d","provider":"openai","model":"gpt-4o","usage":{"prompt_tokens":120,"completion_tokens":48},"body":%q}`, i, body)
	}
	return ps
}

func BenchmarkAppend(b *testing.B) {
	for _, sync := range []SyncMode{SyncNone, SyncEveryWrite} {
		b.Run("sync="+sync.String()+"/batch=100", func(b *testing.B) {
			w, err := Open(Options{Dir: filepath.Join(b.TempDir(), "spool"), Sync: sync})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			batch := benchPayloads(100)
			b.SetBytes(int64(100 * len(batch[0])))
			for b.Loop() {
				if err := w.Append(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func BenchmarkReadSegment(b *testing.B) {
	w, err := Open(Options{Dir: filepath.Join(b.TempDir(), "spool"), Sync: SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	const records = 10000
	batch := benchPayloads(100)
	for range records / 100 {
		if err := w.Append(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	segs, _ := Segments(w.opts.Dir)
	b.SetBytes(int64(records * len(batch[0])))
	for b.Loop() {
		st, err := ReadSegment(segs[0].Path, func(Record) error { return nil })
		if err != nil || st.Records != records {
			b.Fatalf("ReadSegment() = %d records, %v", st.Records, err)
		}
	}
	b.ReportMetric(float64(b.N*records)/b.Elapsed().Seconds(), "records/s")
}
