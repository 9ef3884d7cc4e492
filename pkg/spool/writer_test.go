package spool

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRoundTripAcrossRotations(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"compressed, fsync", Options{MaxSegmentBytes: 4 << 10}},
		{"stored, no fsync", Options{MaxSegmentBytes: 4 << 10, DisableCompression: true, Sync: SyncNone}},
		{"one segment", Options{Sync: SyncNone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := openWriter(t, tt.opts)
			const batches, perBatch = 100, 20
			for b := range batches {
				mustAppend(t, w, payloads(b*perBatch, perBatch))
			}
			if err := w.Close(); err != nil {
				t.Fatalf("Close() = %v", err)
			}
			segs, err := Segments(w.opts.Dir)
			if err != nil {
				t.Fatalf("Segments() = %v", err)
			}
			for _, s := range segs {
				if !s.Sealed || !strings.HasSuffix(s.Name, sealedExt) {
					t.Errorf("after Close, segment %s sealed = %v, want a sealed .jsonl.gz", s.Name, s.Sealed)
				}
			}
			if tt.opts.MaxSegmentBytes != 0 && len(segs) < 10 {
				t.Errorf("Segments() = %d segments, want rotation by size to make at least 10", len(segs))
			}
			recs, corrupt := readDir(t, w.opts.Dir)
			if len(corrupt) != 0 {
				t.Errorf("corrupt lines: %+v", corrupt)
			}
			if got, want := ids(t, recs), seq(0, batches*perBatch); !slices.Equal(got, want) {
				t.Errorf("read %d records, want %d in order", len(got), len(want))
			}
			st := w.Stats()
			if st.Records != batches*perBatch || st.Segments != int64(len(segs)) || st.Sealed != int64(len(segs)) || st.Unsealed != 0 {
				t.Errorf("Stats() = %+v, want %d records, %d segments all sealed", st, batches*perBatch, len(segs))
			}
		})
	}
}

func TestSegmentSizeBound(t *testing.T) {
	w := openWriter(t, Options{MaxSegmentBytes: 1000, DisableCompression: true, Sync: SyncNone})
	for i := range 50 {
		mustAppend(t, w, payloads(i, 1))
	}
	mustAppend(t, w, payloads(100, 40)) // one batch larger than a segment
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := Segments(w.opts.Dir)
	for _, s := range segs[:len(segs)-1] {
		var size int64
		st, err := ReadSegment(s.Path, func(Record) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		size = st.Bytes
		if size > 1000 {
			t.Errorf("segment %s holds %d bytes, want <= 1000", s.Name, size)
		}
	}
	st, _ := ReadSegment(segs[len(segs)-1].Path, func(Record) error { return nil })
	if st.Records != 40 {
		t.Errorf("oversized batch: last segment has %d records, want the 40 of the batch alone", st.Records)
	}
}

func TestAppendRejectsInvalidPayload(t *testing.T) {
	tests := []struct {
		name  string
		batch [][]byte
	}{
		{"not JSON", [][]byte{payload(1), []byte(`{"a":`)}},
		{"empty", [][]byte{payload(1), {}}},
		{"two values", [][]byte{[]byte(`{} {}`)}},
		{"raw control character", [][]byte{[]byte("\"a\x00b\"")}},
	}
	w := openWriter(t, Options{Sync: SyncNone})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := w.Append(context.Background(), tt.batch)
			if !errors.Is(err, ErrInvalidPayload) {
				t.Errorf("Append(%q) = %v, want ErrInvalidPayload", tt.batch, err)
			}
		})
	}
	if st := w.Stats(); st.Records != 0 || st.Segments != 0 || st.Failed != 0 {
		t.Errorf("Stats() = %+v, want nothing written and no failure counted", st)
	}
}

func TestAppendContextAndClose(t *testing.T) {
	w := openWriter(t, Options{Sync: SyncNone})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Append(ctx, payloads(0, 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Append(canceled ctx) = %v, want context.Canceled", err)
	}
	if err := w.Append(context.Background(), nil); err != nil {
		t.Errorf("Append(nil) = %v, want nil", err)
	}
	mustAppend(t, w, payloads(0, 1))
	for i := range 2 {
		if err := w.Close(); err != nil {
			t.Errorf("Close() #%d = %v, want nil", i+1, err)
		}
	}
	if err := w.Append(context.Background(), payloads(1, 1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
	if err := w.Rotate(); !errors.Is(err, ErrClosed) {
		t.Errorf("Rotate after Close = %v, want ErrClosed", err)
	}
}

func TestRotateByAge(t *testing.T) {
	clock := newFakeClock()
	w := openWriter(t, Options{Now: clock.Now, MaxSegmentAge: time.Minute, Sync: SyncNone})
	mustAppend(t, w, payloads(0, 1))
	clock.Add(59 * time.Second)
	mustAppend(t, w, payloads(1, 1))
	if st := w.Stats(); st.Segments != 1 {
		t.Fatalf("before MaxSegmentAge: Stats().Segments = %d, want 1", st.Segments)
	}
	clock.Add(time.Second)
	mustAppend(t, w, payloads(2, 1))
	if st := w.Stats(); st.Segments != 2 {
		t.Errorf("at MaxSegmentAge: Stats().Segments = %d, want 2", st.Segments)
	}
	if err := w.Rotate(); err != nil {
		t.Fatalf("Rotate() = %v", err)
	}
	segs, _ := Segments(w.opts.Dir)
	if len(segs) != 2 || !segs[0].Sealed || !segs[1].Sealed {
		t.Errorf("after Rotate: Segments() = %+v, want 2 sealed", segs)
	}
	if want := clock.Now().Add(-time.Second - 59*time.Second); !segs[0].Time.Equal(want) {
		t.Errorf("first segment time = %v, want %v", segs[0].Time, want)
	}
}

// TestAgeTimerSealsIdleSegment checks the monotonic timer rotates a segment
// nobody appends to.
func TestAgeTimerSealsIdleSegment(t *testing.T) {
	w := openWriter(t, Options{MaxSegmentAge: 10 * time.Millisecond, Sync: SyncNone})
	mustAppend(t, w, payloads(0, 3))
	deadline := time.Now().Add(10 * time.Second)
	for {
		segs, err := Segments(w.opts.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(segs) == 1 && segs[0].Sealed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Segments() = %+v 10s after MaxSegmentAge, want one sealed segment", segs)
		}
		time.Sleep(5 * time.Millisecond) // bounded poll for the timer
	}
}

func TestAppendConcurrent(t *testing.T) {
	w := openWriter(t, Options{MaxSegmentBytes: 8 << 10, Sync: SyncNone})
	const goroutines, batches, perBatch = 8, 25, 4
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for b := range batches {
				if err := w.Append(context.Background(), payloads((g*batches+b)*perBatch, perBatch)); err != nil {
					t.Errorf("Append() = %v", err)
					return
				}
				_ = w.Stats()
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs, corrupt := readDir(t, w.opts.Dir)
	got := ids(t, recs)
	slices.Sort(got)
	if want := seq(0, goroutines*batches*perBatch); !slices.Equal(got, want) || len(corrupt) != 0 {
		t.Errorf("read %d records (%d corrupt), want %d", len(got), len(corrupt), len(want))
	}
	// A batch is contiguous.
	for i := 0; i < len(recs); i += perBatch {
		first := ids(t, recs[i:i+perBatch])
		if first[perBatch-1]-first[0] != perBatch-1 {
			t.Fatalf("batch at record %d interleaved: %v", i, first)
		}
	}
}

func TestOpenLocked(t *testing.T) {
	w := openWriter(t, Options{Sync: SyncNone})
	_, err := Open(Options{Dir: w.opts.Dir})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open() = %v, want ErrLocked", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w2, err := Open(Options{Dir: w.opts.Dir})
	if err != nil {
		t.Fatalf("Open() after Close = %v", err)
	}
	w2.Close()
}

func TestOpenValidatesOptions(t *testing.T) {
	_, err := Open(Options{MaxSegmentBytes: -1, MaxSegmentAge: -1, Sync: 7})
	for _, field := range []string{"Dir", "MaxSegmentBytes", "MaxSegmentAge", "Sync"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("Open(bad options) = %v, want it to name %s", err, field)
		}
	}
}

func TestEmptySegmentsAreNotKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	for range 3 {
		w := openWriter(t, Options{Dir: dir, Sync: SyncNone})
		if err := w.Rotate(); err != nil {
			t.Fatal(err)
		}
		w.Close()
	}
	if segs, _ := Segments(dir); len(segs) != 0 {
		t.Errorf("Segments() = %+v, want none after opening and closing without appending", segs)
	}
}

// TestCloseLeavesNoGoroutine checks the sealer and the age timers are gone
// after Close.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	w, err := Open(Options{Dir: t.TempDir(), Sync: SyncNone, MaxSegmentBytes: 500})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		mustAppend(t, w, payloads(i, 2))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after Close, %d before Open", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond) // bounded poll for exiting goroutines
	}
}
