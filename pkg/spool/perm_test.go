package spool

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestPermissionsOwnerOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	w := openWriter(t, Options{Dir: dir})
	mustAppend(t, w, payloads(0, 3))
	active := w.active.f.Name()
	checkMode(t, active, 0o600)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := Segments(dir)
	release, err := Claim(segs[0], "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := SaveProgress(segs[0], 1); err != nil {
		t.Fatal(err)
	}
	checkMode(t, segs[0].Path+claimExt, 0o600)
	checkMode(t, segs[0].Path+progressExt, 0o600)
	if err := MarkDone(segs[0]); err != nil {
		t.Fatal(err)
	}
	release()
	if err := Quarantine(dir, "test", []byte("x")); err != nil {
		t.Fatal(err)
	}
	checkMode(t, dir, fs.ModeDir|0o700)
	checkMode(t, filepath.Join(dir, ".lock"), 0o600)
	checkMode(t, filepath.Join(dir, doneDir), fs.ModeDir|0o700)
	checkMode(t, filepath.Join(dir, doneDir, segs[0].Name), 0o600)
	checkMode(t, filepath.Join(dir, quarantineDir), fs.ModeDir|0o700)
	qfiles, _ := filepath.Glob(filepath.Join(dir, quarantineDir, "quarantine-*.jsonl"))
	if len(qfiles) != 1 {
		t.Fatalf("quarantine files %v, want one", qfiles)
	}
	checkMode(t, qfiles[0], 0o600)
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (fs.ModeDir | fs.ModePerm); got != want {
		t.Errorf("mode of %s = %v, want %v", filepath.Base(path), got, want)
	}
}
