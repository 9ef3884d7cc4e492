package spool

import (
	"cmp"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/harborai/ingest/internal/flock"
)

// recover prepares the directory for a new Writer: it finds the highest
// sequence number (in the directory and in done/), queues for sealing every
// .jsonl a previous writer left, and removes what a crash left half-made.
// It runs under the directory lock, so no other writer is sealing.
func (w *Writer) recover() error {
	dir := w.opts.Dir
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	type leftover struct {
		name string
		seq  uint64
	}
	var unsealed []leftover
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "."+segPrefix) && strings.HasSuffix(name, sealedExt+".tmp") {
			_ = os.Remove(filepath.Join(dir, name)) // a seal cut short
			continue
		}
		n, ok := parseName(name)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		w.seq = max(w.seq, n.seq)
		if !n.sealed {
			unsealed = append(unsealed, leftover{name, n.seq})
		}
	}
	done, err := os.ReadDir(filepath.Join(dir, doneDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range done {
		if n, ok := parseName(e.Name()); ok {
			w.seq = max(w.seq, n.seq)
		}
	}

	slices.SortFunc(unsealed, func(a, b leftover) int { return cmp.Compare(a.seq, b.seq) })
	for _, u := range unsealed {
		path := filepath.Join(dir, u.name)
		if fi, err := os.Stat(path); err == nil && fi.Size() == 0 {
			_ = os.Remove(path) // created, never written
			continue
		}
		// Both forms: the seal was renamed into place before the crash. The
		// .gz is complete unless the directory was not synced (SyncNone).
		if gz := path + ".gz"; exists(gz) && !gzipIntact(gz) {
			w.log.Warn("removing incomplete sealed segment; sealing it again", "segment", u.name+".gz")
			_ = os.Remove(gz)
		}
		w.pending = append(w.pending, u.name)
	}
	w.sweepSidecars(entries)
	return nil
}

// sweepSidecars removes the progress and claim files of segments that are
// gone (a loader crashed between MarkDone and its cleanup). A claim file is
// removed only when nobody holds it.
func (w *Writer) sweepSidecars(entries []fs.DirEntry) {
	for _, e := range entries {
		name := e.Name()
		seg, kind := sidecarOf(name)
		if kind == "" || exists(filepath.Join(w.opts.Dir, seg)) {
			continue
		}
		path := filepath.Join(w.opts.Dir, name)
		if kind == claimExt {
			f, err := flock.TryLock(path, false)
			if err != nil {
				continue
			}
			_ = os.Remove(path)
			f.Close()
			continue
		}
		_ = os.Remove(path)
	}
}

// sidecarOf splits a sidecar file name into its segment's name and kind.
func sidecarOf(name string) (segment, kind string) {
	for _, ext := range []string{claimExt, progressExt, progressExt + ".tmp"} {
		if seg, ok := strings.CutSuffix(name, ext); ok {
			if _, isSeg := parseName(seg); isSeg {
				return seg, ext
			}
		}
	}
	return "", ""
}
