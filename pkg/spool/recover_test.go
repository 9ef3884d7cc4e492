package spool

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRecoverAbandonedWriter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	w1 := openWriter(t, Options{Dir: dir})
	mustAppend(t, w1, payloads(0, 10))
	if err := w1.Rotate(); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, w1, payloads(10, 10))
	active := w1.active.f.Name()
	abandon(t, w1)
	// The crash came in the middle of an Append.
	f, _ := os.OpenFile(active, os.O_WRONLY|os.O_APPEND, 0)
	f.Write(goodLines(1)[:30])
	f.Close()
	before, _ := os.ReadFile(active)

	segs, _ := Segments(dir)
	if len(segs) != 2 || !segs[0].Sealed || segs[1].Sealed {
		t.Fatalf("after the crash: Segments() = %+v, want one sealed, one not", segs)
	}
	if _, err := Claim(segs[1], "test"); !errors.Is(err, ErrNotSealed) {
		t.Errorf("Claim(unsealed) = %v, want ErrNotSealed", err)
	}

	w2 := openWriter(t, Options{Dir: dir})
	mustAppend(t, w2, payloads(20, 5))
	if err := w2.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	segs, _ = Segments(dir)
	if len(segs) != 3 {
		t.Fatalf("after reopening: Segments() = %+v, want 3", segs)
	}
	for i, s := range segs {
		if !s.Sealed || s.Seq != uint64(i+1) {
			t.Errorf("segment %d = %s sealed %v, want sealed with sequence %d", i, s.Name, s.Sealed, i+1)
		}
	}
	st, err := ReadSegment(segs[1].Path, func(r Record) error { return nil })
	if err != nil || st.Records != 10 || st.CorruptCount != 1 || st.Corrupt[0].Reason != ReasonTorn || st.Corrupt[0].Line != 11 {
		t.Errorf("abandoned segment: %d records, corrupt %+v, %v; want 10 and a torn line 11", st.Records, st.Corrupt, err)
	}
	inGz := gunzip(t, segs[1].Path)
	if string(inGz) != string(before) {
		t.Errorf("abandoned segment changed by sealing:\n got %q\nwant %q", inGz, before)
	}
	recs, _ := readDir(t, dir)
	if got := ids(t, recs); !slices.Equal(got, seq(0, 25)) {
		t.Errorf("records %v, want 0..24", got)
	}
	if st := w2.Stats(); st.Sealed != 2 {
		t.Errorf("Stats().Sealed = %d, want 2 (the left-over and its own)", st.Sealed)
	}
}

func TestRecoverHalfSealed(t *testing.T) {
	const name = "seg-20250301T120000.000000000Z-000001.jsonl"
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  []int
	}{
		{
			name: "crash after rename",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, name), goodLines(5), false)
				writeFile(t, filepath.Join(dir, name+".gz"), goodLines(5), true)
			},
			want: seq(0, 5),
		},
		{
			name: "incomplete gz (no directory sync)",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, name), goodLines(5), false)
				writeFile(t, filepath.Join(dir, name+".gz"), nil, false)
			},
			want: seq(0, 5),
		},
		{
			name: "seal cut short",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, name), goodLines(5), false)
				writeFile(t, filepath.Join(dir, "."+name+".gz.tmp"), []byte("partial"), false)
			},
			want: seq(0, 5),
		},
		{
			name: "already loaded",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, name), goodLines(5), false)
				os.Mkdir(filepath.Join(dir, doneDir), dirMode)
				writeFile(t, filepath.Join(dir, doneDir, name+".gz"), goodLines(5), true)
			},
			want: []int{},
		},
		{
			name: "created, never written",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, name), nil, false)
			},
			want: []int{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			if segs, _ := Segments(dir); len(segs) > 1 {
				t.Errorf("before recovery: Segments() = %+v, want one form per segment", segs)
			}
			w := openWriter(t, Options{Dir: dir, Sync: SyncNone})
			if err := w.Close(); err != nil {
				t.Fatalf("Close() = %v", err)
			}
			recs, corrupt := readDir(t, dir)
			if got := ids(t, recs); !slices.Equal(got, tt.want) || len(corrupt) != 0 {
				t.Errorf("after recovery: records %v, corrupt %+v; want %v", got, corrupt, tt.want)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if n := e.Name(); n != ".lock" && n != doneDir && !strings.HasSuffix(n, sealedExt) {
					t.Errorf("after recovery: %s left in the directory", n)
				}
			}
		})
	}
}

func TestClockBackwardsNoCollision(t *testing.T) {
	tests := []struct {
		name string
		step time.Duration
	}{
		{"clock moves back", -time.Hour},
		{"clock stands still", 0},
		{"clock jumps forward", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "spool")
			clock := newFakeClock()
			w := openWriter(t, Options{Dir: dir, Now: clock.Now, Sync: SyncNone})
			for i := range 5 {
				mustAppend(t, w, payloads(i, 1))
				if err := w.Rotate(); err != nil {
					t.Fatal(err)
				}
				clock.Add(tt.step)
			}
			w.Close()
			recs, _ := readDir(t, dir)
			if got := ids(t, recs); !slices.Equal(got, seq(0, 5)) {
				t.Errorf("Segments() order gives records %v, want 0..4: oldest first by sequence", got)
			}
			// Everything loaded and moved to done/: the next writer still
			// continues the sequence.
			segs, _ := Segments(dir)
			for _, s := range segs {
				release, err := Claim(s, "test")
				if err != nil {
					t.Fatal(err)
				}
				if err := MarkDone(s); err != nil {
					t.Fatal(err)
				}
				release()
			}
			w = openWriter(t, Options{Dir: dir, Now: clock.Now, Sync: SyncNone})
			clock.Add(-48 * time.Hour)
			mustAppend(t, w, payloads(5, 1))
			w.Close()

			names := map[string]bool{}
			var seqs []uint64
			for _, d := range []string{filepath.Join(dir, doneDir), dir} {
				entries, _ := os.ReadDir(d)
				for _, e := range entries {
					if n, ok := parseName(e.Name()); ok {
						base := strings.TrimSuffix(e.Name(), ".gz")
						if names[base] {
							t.Errorf("name %s used twice", base)
						}
						names[base] = true
						seqs = append(seqs, n.seq)
					}
				}
			}
			slices.Sort(seqs)
			if want := []uint64{1, 2, 3, 4, 5, 6}; !slices.Equal(seqs, want) {
				t.Errorf("sequences %v, want %v", seqs, want)
			}
		})
	}
}

// TestCrashKill kills a writing process with SIGKILL at an arbitrary point:
// every record whose Append returned is read back, in order, and at most
// one torn line is reported.
func TestCrashKill(t *testing.T) {
	if dir := os.Getenv("SPOOL_CRASH_CHILD_DIR"); dir != "" {
		crashChild(dir)
		return
	}
	for round := range 3 {
		dir := filepath.Join(t.TempDir(), "spool")
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKill$")
		cmd.Env = append(os.Environ(), "SPOOL_CRASH_CHILD_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := -1
		sc := bufio.NewScanner(out)
		for sc.Scan() && acked < 300+100*round {
			if v, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
				acked, _ = strconv.Atoi(v)
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
		if acked < 0 {
			t.Fatalf("round %d: the child acknowledged nothing", round)
		}

		w := openWriter(t, Options{Dir: dir})
		if err := w.Close(); err != nil {
			t.Fatalf("round %d: Close() = %v", round, err)
		}
		recs, corrupt := readDir(t, dir)
		got := ids(t, recs)
		if len(got) <= acked || !slices.Equal(got[:acked+1], seq(0, acked+1)) {
			t.Errorf("round %d: read %d records, want the first %d acknowledged ones in order", round, len(got), acked+1)
		}
		if len(corrupt) > 1 || (len(corrupt) == 1 && corrupt[0].Reason != ReasonTorn) {
			t.Errorf("round %d: corrupt lines %+v, want at most one torn", round, corrupt)
		}
	}
}

// crashChild appends batches forever, printing the last id of each batch
// once Append has returned, until it is killed.
func crashChild(dir string) {
	w, err := Open(Options{Dir: dir, MaxSegmentBytes: 16 << 10, Sync: SyncNone})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	for i := 0; ; i += 10 {
		if err := w.Append(context.Background(), payloads(i, 10)); err != nil {
			fmt.Println("append:", err)
			os.Exit(2)
		}
		fmt.Printf("acked %d\n", i+9)
	}
}

func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
