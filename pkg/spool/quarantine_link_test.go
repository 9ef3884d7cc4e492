package spool

import (
	"os"
	"path/filepath"
	"testing"
)

// linkedSegment makes a segment in another directory of root, and a spool
// here/spool holding a link to it; it returns the link and the segment.
func linkedSegment(t *testing.T, root string) (link, target string) {
	t.Helper()
	target = filepath.Join(root, "other", "seg-1.jsonl.gz")
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte("segment bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	link = filepath.Join(root, "here", "spool", "seg-1.jsonl.gz")
	if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	return link, target
}

// TestKeepSegmentOfADanglingLink: a linked segment gone by the time it is
// kept (the other host's retention removed it after the load read it) is
// an error, not a dangling link reported as kept.
func TestKeepSegmentOfADanglingLink(t *testing.T) {
	root := t.TempDir()
	link, target := linkedSegment(t, root)
	if err := os.Remove(target); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "here")
	if err := KeepSegment(dir, Segment{Name: "seg-1.jsonl.gz", Path: link}); err == nil {
		t.Error("KeepSegment of a link whose segment is gone = nil, want an error")
	}
	if _, err := os.Lstat(filepath.Join(dir, quarantineDir, "segments", "seg-1.jsonl.gz")); err == nil {
		t.Error("something was kept for a segment that is gone")
	}
}

// TestKeepSegmentReplacesAKeptLink: a link kept by an earlier release, for
// a linked segment, is replaced by the segment itself.
func TestKeepSegmentReplacesAKeptLink(t *testing.T) {
	root := t.TempDir()
	link, target := linkedSegment(t, root)
	dir := filepath.Join(root, "here")
	kept := filepath.Join(dir, quarantineDir, "segments", "seg-1.jsonl.gz")
	if err := os.MkdirAll(filepath.Dir(kept), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, kept); err != nil {
		t.Fatal(err)
	}
	if err := KeepSegment(dir, Segment{Name: "seg-1.jsonl.gz", Path: link}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(target); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(kept); err != nil || string(b) != "segment bytes" {
		t.Errorf("the kept segment after its original's removal: %q, %v; want its bytes", b, err)
	}
}
