package spool

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/klauspost/compress/gzip"
)

// Sealing turns seg-X.jsonl into seg-X.jsonl.gz: the segment is copied into
// the temporary file .seg-X.jsonl.gz.tmp, which is fsynced and renamed into
// place before the .jsonl is removed. A crash leaves either the .jsonl alone
// (sealed again by the next Open) or both files with the .gz complete
// (Segments lists only the .gz; the next Open removes the .jsonl). Lines are
// copied byte for byte, a torn last line included.

// runSealer seals retired segments in the background until Close.
func (w *Writer) runSealer() {
	defer w.wg.Done()
	for {
		select {
		case <-w.quit:
			return
		case <-w.kick:
			if err := w.sealPending(); err != nil {
				w.log.Warn("seal spool segments; will retry at the next rotation", "err", err)
			}
		}
	}
}

func (w *Writer) kickSealer() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// sealPending seals every segment waiting, oldest first, and returns the
// failures; failed segments stay queued.
func (w *Writer) sealPending() error {
	w.sealMu.Lock()
	defer w.sealMu.Unlock()
	w.mu.Lock()
	names := slices.Clone(w.pending)
	w.mu.Unlock()

	var errs []error
	for _, name := range names {
		if err := w.seal(name); err != nil {
			errs = append(errs, err)
			continue
		}
		w.mu.Lock()
		w.pending = slices.DeleteFunc(w.pending, func(n string) bool { return n == name })
		w.stats.Sealed++
		w.mu.Unlock()
	}
	return errors.Join(errs...)
}

// seal compresses one closed segment into its sealed form. Once the .gz
// exists (here or, loaded already, in done/) it is the segment: a retry only
// removes the .jsonl, so a segment is never sealed, and loaded, twice.
func (w *Writer) seal(name string) error {
	src := filepath.Join(w.opts.Dir, name)
	dst := src + ".gz"
	if !exists(dst) && !exists(filepath.Join(w.opts.Dir, doneDir, name+".gz")) {
		tmp := filepath.Join(w.opts.Dir, "."+name+".gz.tmp")
		err := w.gzipFile(src, tmp, name)
		if err == nil {
			err = os.Rename(tmp, dst)
		}
		if err != nil {
			_ = os.Remove(tmp)
			return fmt.Errorf("seal %s: %w", name, diskFull(err))
		}
	}
	// The .gz must be durable before the .jsonl goes.
	if err := w.syncDir(); err != nil {
		return fmt.Errorf("seal %s: %w", name, err)
	}
	if err := os.Remove(src); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("seal %s: %w", name, err)
	}
	if err := w.syncDir(); err != nil {
		w.log.Warn("sync spool directory after sealing", "segment", name, "err", err)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// gzipFile writes src gzipped into dst (created or truncated). It reuses
// one compressor, whose tables are large; callers hold sealMu.
func (w *Writer) gzipFile(src, dst, name string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
	if err != nil {
		return err
	}
	if w.zw == nil {
		level := gzip.BestSpeed
		if w.opts.DisableCompression {
			level = gzip.NoCompression
		}
		w.zw, _ = gzip.NewWriterLevel(out, level) // level is valid
	} else {
		w.zw.Reset(out)
	}
	w.zw.Name = name
	if fi, err := in.Stat(); err == nil {
		w.zw.ModTime = fi.ModTime()
	}
	_, err = io.Copy(w.zw, in)
	if cerr := w.zw.Close(); err == nil {
		err = cerr
	}
	if err == nil && w.opts.Sync == SyncEveryWrite {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// gzipIntact reports whether path is a complete gzip stream.
func gzipIntact(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, zr)
	return err == nil
}
