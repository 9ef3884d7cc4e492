package spool

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable wall clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openWriter opens a Writer on a fresh directory unless opts.Dir is set,
// with SyncNone unless the test chose, and closes it at the end of the test.
func openWriter(t *testing.T, opts Options) *Writer {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = filepath.Join(t.TempDir(), "spool")
	}
	w, err := Open(opts)
	if err != nil {
		t.Fatalf("Open(%s) = %v", opts.Dir, err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return w
}

// abandon stops w as a crash would: no seal, no cleanup; only the file
// descriptors go, as the kernel closes them when a process dies.
func abandon(t *testing.T, w *Writer) {
	t.Helper()
	w.mu.Lock()
	w.closed = true
	if w.active != nil {
		w.active.timer.Stop()
		w.active.f.Close()
	}
	w.mu.Unlock()
	close(w.quit)
	w.wg.Wait()
	w.lock.Close()
}

// payload returns a distinct JSON payload.
func payload(i int) []byte {
	return fmt.Appendf(nil, `{"id":%d,"body":"record %d","tags":{"k":"v"}}`, i, i)
}

func payloads(from, n int) [][]byte {
	ps := make([][]byte, n)
	for i := range ps {
		ps[i] = payload(from + i)
	}
	return ps
}

func mustAppend(t *testing.T, w *Writer, ps [][]byte) {
	t.Helper()
	if err := w.Append(context.Background(), ps); err != nil {
		t.Fatalf("Append(%d payloads) = %v", len(ps), err)
	}
}

// readDir reads every segment of dir in order.
func readDir(t *testing.T, dir string) (recs []Record, corrupt []CorruptLine) {
	t.Helper()
	segs, err := Segments(dir)
	if err != nil {
		t.Fatalf("Segments(%s) = %v", dir, err)
	}
	for _, s := range segs {
		st, err := ReadSegment(s.Path, func(r Record) error {
			recs = append(recs, r)
			return nil
		})
		if err != nil {
			t.Fatalf("ReadSegment(%s) = %v", s.Name, err)
		}
		corrupt = append(corrupt, st.Corrupt...)
	}
	return recs, corrupt
}

// ids returns the "id" of each record, in order.
func ids(t *testing.T, recs []Record) []int {
	t.Helper()
	out := make([]int, len(recs))
	for i, r := range recs {
		var p struct{ ID int }
		if _, err := fmt.Sscanf(string(r.Data), `{"id":%d`, &p.ID); err != nil {
			t.Fatalf("record %d: %s: %v", i, r.Data, err)
		}
		out[i] = p.ID
	}
	return out
}

func seq(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}

// goodLines returns n valid lines for payloads 0..n-1.
func goodLines(n int) []byte {
	var b []byte
	ts := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range n {
		b = appendLine(b, ts, payload(i))
	}
	return b
}

func writeFile(t *testing.T, path string, data []byte, gz bool) {
	t.Helper()
	if gz {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
		data = buf.Bytes()
	}
	if err := os.WriteFile(path, data, fileMode); err != nil {
		t.Fatal(err)
	}
}
