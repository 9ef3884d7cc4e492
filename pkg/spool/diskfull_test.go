package spool

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"syscall"
	"testing"
)

// withFileSizeLimit runs fn with RLIMIT_FSIZE set to limit bytes, so writes
// past it fail with EFBIG as on a full disk. SIGXFSZ, which would kill the
// process, is ignored meanwhile. The limit is process-wide, so the test
// must run alone in its process (isolated): in the go command's test
// process the test log it writes would fail too, failing the run.
func withFileSizeLimit(t *testing.T, limit uint64, fn func()) {
	t.Helper()
	if os.Getenv(isolatedEnv) == "" {
		t.Fatal("withFileSizeLimit outside isolated")
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatalf("Getrlimit() = %v", err)
	}
	signal.Ignore(syscall.SIGXFSZ)
	defer signal.Reset(syscall.SIGXFSZ)
	lim := old
	lim.Cur = limit
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatalf("Setrlimit() = %v", err)
	}
	defer func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Fatalf("restore RLIMIT_FSIZE: %v", err)
		}
	}()
	fn()
}

// isolatedEnv names the test a child process of the test binary runs.
const isolatedEnv = "SPOOL_TEST_ISOLATED"

// isolated runs the top-level test t alone in a child process of the test
// binary, without the go command's test log, and reports whether the
// caller is that child (and so runs the test's body). The parent passes
// when the child does and shows its output.
func isolated(t *testing.T) bool {
	t.Helper()
	if os.Getenv(isolatedEnv) == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), isolatedEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s in a child process: %v\n%s", t.Name(), err, out)
	}
	if !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
		t.Fatalf("%s in a child process did not run:\n%s", t.Name(), out)
	}
	return false
}

func TestAppendDiskFull(t *testing.T) {
	if !isolated(t) {
		return
	}
	tests := []struct {
		name string
		sync SyncMode
	}{
		{"fsync", SyncEveryWrite},
		{"no fsync", SyncNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := openWriter(t, Options{Sync: tt.sync})
			mustAppend(t, w, payloads(0, 10))
			path := w.active.f.Name()
			before := w.Stats().ActiveBytes

			var err error
			withFileSizeLimit(t, uint64(before)+200, func() {
				// Larger than the room left: part of it is written, then EFBIG.
				err = w.Append(context.Background(), payloads(10, 100))
			})
			if !errors.Is(err, ErrDiskFull) || !errors.Is(err, syscall.EFBIG) {
				t.Fatalf("Append() past the limit = %v, want ErrDiskFull wrapping EFBIG", err)
			}
			if fi, _ := os.Stat(path); fi.Size() != before {
				t.Errorf("segment size after the failed Append = %d, want %d (truncated back)", fi.Size(), before)
			}
			if st := w.Stats(); st.Failed != 1 || st.DiskFull != 1 || st.Records != 10 {
				t.Errorf("Stats() = %+v, want 1 failure for lack of space, 10 records", st)
			}

			mustAppend(t, w, payloads(110, 5)) // space is back
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			recs, corrupt := readDir(t, w.opts.Dir)
			if got, want := ids(t, recs), slices.Concat(seq(0, 10), seq(110, 5)); !slices.Equal(got, want) || len(corrupt) != 0 {
				t.Errorf("records %v (corrupt %+v), want %v", got, corrupt, want)
			}
		})
	}
}

// TestAppendDiskFullNewSegment fills the disk as a rotation creates a new
// segment: the empty segment is not kept and the writer recovers.
func TestAppendDiskFullNewSegment(t *testing.T) {
	if !isolated(t) {
		return
	}
	w := openWriter(t, Options{Sync: SyncNone, MaxSegmentBytes: 1})
	var err error
	withFileSizeLimit(t, 10, func() {
		err = w.Append(context.Background(), payloads(0, 1))
	})
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("Append() = %v, want ErrDiskFull", err)
	}
	if segs, _ := Segments(w.opts.Dir); len(segs) != 0 {
		t.Errorf("Segments() after a failed first Append = %+v, want none", segs)
	}
	mustAppend(t, w, payloads(1, 1))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if recs, _ := readDir(t, w.opts.Dir); !slices.Equal(ids(t, recs), []int{1}) {
		t.Errorf("records %v, want [1]", ids(t, recs))
	}
}

// TestSealDiskFull: a seal that fails for lack of space leaves the segment
// unsealed and intact, and is retried.
func TestSealDiskFull(t *testing.T) {
	if !isolated(t) {
		return
	}
	// Nothing wakes the background sealer here (Open found nothing to seal,
	// no Append rotates), so only Rotate seals: a background seal running
	// once the limit is lifted would race the checks below.
	w := openWriter(t, Options{Sync: SyncNone, DisableCompression: true})
	mustAppend(t, w, payloads(0, 50))
	var err error
	withFileSizeLimit(t, 100, func() { err = w.Rotate() })
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("Rotate() with no room to seal = %v, want ErrDiskFull", err)
	}
	if segs, _ := Segments(w.opts.Dir); len(segs) != 1 || segs[0].Sealed || w.Stats().Unsealed != 1 {
		t.Fatalf("Segments() = %+v, Stats() = %+v; want one unsealed segment", segs, w.Stats())
	}
	if tmps, _ := filepath.Glob(filepath.Join(w.opts.Dir, ".*.tmp")); len(tmps) != 0 {
		t.Errorf("temporary files left by the failed seal: %v", tmps)
	}
	if err := w.Rotate(); err != nil {
		t.Fatalf("Rotate() with room = %v", err)
	}
	recs, corrupt := readDir(t, w.opts.Dir)
	if !slices.Equal(ids(t, recs), seq(0, 50)) || len(corrupt) != 0 {
		t.Errorf("after the retried seal: %d records, corrupt %+v; want 50", len(recs), corrupt)
	}
}
