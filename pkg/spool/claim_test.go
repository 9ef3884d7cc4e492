package spool

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sealedSegment returns a directory holding one sealed segment of n records.
func sealedSegment(t *testing.T, n int) Segment {
	t.Helper()
	w := openWriter(t, Options{Sync: SyncNone})
	mustAppend(t, w, payloads(0, n))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	segs, err := Segments(w.opts.Dir)
	if err != nil || len(segs) != 1 || !segs[0].Sealed {
		t.Fatalf("Segments() = %+v, %v; want one sealed", segs, err)
	}
	return segs[0]
}

func TestClaimExclusive(t *testing.T) {
	seg := sealedSegment(t, 3)
	release, err := Claim(seg, "drain")
	if err != nil {
		t.Fatalf("Claim() = %v", err)
	}
	_, err = Claim(seg, "replayer")
	var ce *ClaimedError
	if !errors.Is(err, ErrClaimed) || !errors.As(err, &ce) || ce.Owner != "drain" || ce.PID != os.Getpid() {
		t.Errorf("second Claim() = %v, want ErrClaimed naming drain and our pid", err)
	}
	if err := release(); err != nil {
		t.Errorf("release() = %v", err)
	}
	if err := release(); err != nil {
		t.Errorf("second release() = %v, want nil", err)
	}
	if _, err := os.Stat(seg.Path + claimExt); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("claim file after release: %v, want removed", err)
	}
	release2, err := Claim(seg, "replayer")
	if err != nil {
		t.Fatalf("Claim() after release = %v", err)
	}
	defer release2()
}

// TestClaimRace has claimers race for one segment, claiming and releasing:
// never two hold it at once.
func TestClaimRace(t *testing.T) {
	seg := sealedSegment(t, 1)
	var holders, wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				release, err := Claim(seg, "racer")
				if errors.Is(err, ErrClaimed) {
					continue
				}
				if err != nil {
					t.Errorf("Claim() = %v", err)
					return
				}
				if n := holders.Add(1); n != 1 {
					t.Errorf("%d claimers hold the segment at once", n)
				}
				wins.Add(1)
				runtime.Gosched()
				holders.Add(-1)
				if err := release(); err != nil {
					t.Errorf("release() = %v", err)
				}
			}
		})
	}
	wg.Wait()
	if wins.Load() == 0 {
		t.Error("nobody ever won the claim")
	}
}

func TestProgressResume(t *testing.T) {
	seg := sealedSegment(t, 10)
	load := func(from, stopAfter int) (loaded []int) {
		release, err := Claim(seg, "drain")
		if err != nil {
			t.Fatalf("Claim() = %v", err)
		}
		defer release()
		start, err := LoadProgress(seg)
		if err != nil || start != from {
			t.Fatalf("LoadProgress() = %d, %v; want %d", start, err, from)
		}
		_, err = ReadSegment(seg.Path, func(r Record) error {
			if r.Line <= start {
				return nil
			}
			if r.Line > stopAfter {
				return errors.New("crash")
			}
			loaded = append(loaded, ids(t, []Record{r})[0])
			return SaveProgress(seg, r.Line)
		})
		if err == nil {
			if err := MarkDone(seg); err != nil {
				t.Fatalf("MarkDone() = %v", err)
			}
		}
		return loaded
	}
	first := load(0, 4)
	second := load(4, 100)
	if got := slices.Concat(first, second); !slices.Equal(got, seq(0, 10)) {
		t.Errorf("loaded %v then %v, want 0..9 exactly once", first, second)
	}
	if segs, _ := Segments(filepath.Dir(seg.Path)); len(segs) != 0 {
		t.Errorf("Segments() after MarkDone = %+v, want none", segs)
	}
	for _, path := range []string{seg.Path, seg.Path + progressExt, seg.Path + claimExt} {
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("after MarkDone: stat %s = %v, want gone", filepath.Base(path), err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(seg.Path), doneDir, seg.Name)); err != nil {
		t.Errorf("done segment: %v", err)
	}
	if _, err := Claim(seg, "late"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Claim() of a done segment = %v, want fs.ErrNotExist", err)
	}
}

func TestDoneAndProgressRequireClaim(t *testing.T) {
	seg := sealedSegment(t, 1)
	if err := MarkDone(seg); !errors.Is(err, ErrNotClaimed) {
		t.Errorf("MarkDone() without a claim = %v, want ErrNotClaimed", err)
	}
	if err := SaveProgress(seg, 1); !errors.Is(err, ErrNotClaimed) {
		t.Errorf("SaveProgress() without a claim = %v, want ErrNotClaimed", err)
	}
	if n, err := LoadProgress(seg); n != 0 || err != nil {
		t.Errorf("LoadProgress() with none saved = %d, %v; want 0, nil", n, err)
	}
}

func TestPruneDone(t *testing.T) {
	seg := sealedSegment(t, 1)
	dir := filepath.Dir(seg.Path)
	release, _ := Claim(seg, "test")
	if err := MarkDone(seg); err != nil {
		t.Fatal(err)
	}
	release()
	if n, err := PruneDone(dir, time.Now().Add(-time.Hour)); n != 0 || err != nil {
		t.Errorf("PruneDone(an hour ago) = %d, %v; want 0", n, err)
	}
	if n, err := PruneDone(dir, time.Now().Add(time.Hour)); n != 1 || err != nil {
		t.Errorf("PruneDone(in an hour) = %d, %v; want 1", n, err)
	}
}

func TestOpenSweepsOrphanSidecars(t *testing.T) {
	seg := sealedSegment(t, 1)
	dir := filepath.Dir(seg.Path)
	gone := filepath.Join(dir, "seg-20200101T000000.000000000Z-000009.jsonl.gz")
	for _, p := range []string{gone + claimExt, gone + progressExt, gone + progressExt + ".tmp", seg.Path + progressExt} {
		writeFile(t, p, []byte("{}"), false)
	}
	w := openWriter(t, Options{Dir: dir, Sync: SyncNone})
	w.Close()
	for _, p := range []string{gone + claimExt, gone + progressExt, gone + progressExt + ".tmp"} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("orphan %s: %v, want removed", filepath.Base(p), err)
		}
	}
	if _, err := os.Stat(seg.Path + progressExt); err != nil {
		t.Errorf("progress of a live segment: %v, want kept", err)
	}
}

// deadPID is the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	return cmd.Process.Pid
}

// TestClaimedAndLiveReadOnly: what a dry run asks (is a segment claimed,
// is a writer live) it answers from the files, without taking their locks
// (which would make a loader or a writer starting then fail): a claim or
// lock file left by a process that is gone is neither.
func TestClaimedAndLiveReadOnly(t *testing.T) {
	seg := sealedSegment(t, 3)
	if c, err := Claimed(seg); c || err != nil {
		t.Errorf("Claimed() without a claim = %v, %v", c, err)
	}
	release, err := Claim(seg, "replayer")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := Claimed(seg); !c || err != nil {
		t.Errorf("Claimed() while claimed = %v, %v, want true", c, err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	dead := deadPID(t)
	if err := os.WriteFile(seg.Path+claimExt, []byte(`{"owner":"replayer","pid":`+strconv.Itoa(dead)+`}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := Claimed(seg); c || err != nil {
		t.Errorf("Claimed() with the claim file of a dead loader = %v, %v, want false", c, err)
	}

	dir := t.TempDir()
	if l, err := Live(dir); l || err != nil {
		t.Errorf("Live() of an empty directory = %v, %v", l, err)
	}
	w, err := Open(Options{Dir: dir, Sync: SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	if l, err := Live(dir); !l || err != nil {
		t.Errorf("Live() with a writer = %v, %v, want true", l, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".lock"), []byte(strconv.Itoa(dead)), 0o600); err != nil {
		t.Fatal(err)
	}
	if l, err := Live(dir); l || err != nil {
		t.Errorf("Live() with the lock file of a dead writer = %v, %v, want false", l, err)
	}
}

// TestDryRunChecksNeverBlockOthers: a loader claiming segments and a
// writer opening the spool while a dry run asks Claimed and Live over and
// over never fail because of it.
func TestDryRunChecksNeverBlockOthers(t *testing.T) {
	seg := sealedSegment(t, 3)
	dir := t.TempDir()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, _ = Claimed(seg)
			_, _ = Live(dir)
		}
	}()
	failed := 0
	for range 500 {
		release, err := Claim(seg, "replayer")
		if err != nil {
			failed++
		} else if err := release(); err != nil {
			t.Fatal(err)
		}
		w, err := Open(Options{Dir: dir, Sync: SyncNone})
		if err != nil {
			failed++
			continue
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if failed > 0 {
		t.Errorf("%d of 1,000 claims and opens failed beside a dry run's checks, want none", failed)
	}
}
