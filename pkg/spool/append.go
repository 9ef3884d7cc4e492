package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// active is the segment the Writer appends to.
type active struct {
	f       *os.File
	name    string
	size    int64
	records int64
	created time.Time // from opts.Now; carries the monotonic reading when it is time.Now
	timer   *time.Timer
}

// Append writes each payload as one record and returns once they are
// durable per Options.Sync. Payloads must be valid JSON; they are compacted,
// and an invalid one fails the whole call before anything is written.
//
// A call is all or nothing for readers: when a write fails midway the
// segment is truncated back to its size before the call, and the error is
// returned (wrapping ErrDiskFull when space ran out). The Writer stays usable.
// Only a crash during Append can leave part of its batch on disk, which is
// harmless because the caller never acknowledged it.
//
// ctx is checked before writing; a write under way is not interrupted.
func (w *Writer) Append(ctx context.Context, payloads [][]byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("spool append: %w", err)
	}
	if len(payloads) == 0 {
		return nil
	}
	batch, err := encodeBatch(w.now(), payloads)
	if err != nil {
		return fmt.Errorf("spool append: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("spool append: %w", err)
	}
	if err := w.write(batch, int64(len(payloads))); err != nil {
		w.stats.Failed++
		if errors.Is(err, ErrDiskFull) {
			w.stats.DiskFull++
		}
		return fmt.Errorf("spool append %d records: %w", len(payloads), err)
	}
	return nil
}

// encodeBatch returns the lines of a batch, every record stamped ts.
func encodeBatch(ts time.Time, payloads [][]byte) ([]byte, error) {
	var data bytes.Buffer
	var out []byte
	for i, p := range payloads {
		data.Reset()
		if err := compactPayload(&data, p); err != nil {
			return nil, fmt.Errorf("payload %d: %w", i, err)
		}
		out = appendLine(out, ts, data.Bytes())
	}
	return out, nil
}

// write appends batch to the active segment, rotating first when due.
func (w *Writer) write(batch []byte, records int64) error {
	if a := w.active; a != nil && a.records > 0 &&
		(a.size+int64(len(batch)) > w.opts.MaxSegmentBytes || w.opts.Now().Sub(a.created) >= w.opts.MaxSegmentAge) {
		w.retire()
		w.kickSealer()
	}
	if w.active == nil {
		if err := w.create(); err != nil {
			return err
		}
	}
	a := w.active
	if _, err := a.f.Write(batch); err != nil {
		return w.undo(a, diskFull(err), false)
	}
	if w.opts.Sync == SyncEveryWrite {
		if err := a.f.Sync(); err != nil {
			return w.undo(a, diskFull(err), true)
		}
	}
	a.size += int64(len(batch))
	a.records += records
	w.stats.Records += records
	w.stats.Bytes += int64(len(batch))
	return nil
}

// undo truncates the active segment back to its size before a failed write.
// After a failed fsync, or if even the truncation fails, the segment is
// retired: nothing more is appended to a file whose state is in doubt (what
// it held before this batch was fsynced already). Readers report the broken
// lines a failed truncation leaves.
func (w *Writer) undo(a *active, cause error, syncFailed bool) error {
	err := a.f.Truncate(a.size)
	if err == nil && w.opts.Sync == SyncEveryWrite {
		err = a.f.Sync()
	}
	if err != nil {
		w.retire()
		return errors.Join(cause, fmt.Errorf("truncate %s after a failed write: %w", a.name, err))
	}
	if syncFailed || a.records == 0 {
		w.retire() // an empty segment is removed rather than kept open
	}
	return cause
}

// create starts a new active segment with the next sequence number.
func (w *Writer) create() error {
	created := w.opts.Now()
	for {
		w.seq++
		name := activeName(clampTime(created), w.seq)
		f, err := os.OpenFile(filepath.Join(w.opts.Dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, fileMode)
		if errors.Is(err, os.ErrExist) {
			continue // left by someone who ignored the lock; never append to it
		}
		if err != nil {
			return diskFull(fmt.Errorf("create segment: %w", err))
		}
		if err := w.syncDir(); err != nil {
			f.Close()
			_ = os.Remove(f.Name())
			return diskFull(fmt.Errorf("create segment %s: %w", name, err))
		}
		a := &active{f: f, name: name, created: created}
		a.timer = time.AfterFunc(w.opts.MaxSegmentAge, func() { w.expire(a) })
		w.active = a
		w.stats.Segments++
		return nil
	}
}

// expire rotates a segment that reached its age without an Append to do it.
func (w *Writer) expire(a *active) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.active != a {
		return
	}
	w.retire()
	w.kickSealer()
}

// retire closes the active segment and queues it for sealing; an empty one
// is removed instead.
func (w *Writer) retire() {
	a := w.active
	if a == nil {
		return
	}
	w.active = nil
	a.timer.Stop()
	path := a.f.Name()
	if err := a.f.Close(); err != nil {
		w.log.Warn("close spool segment", "segment", a.name, "err", err)
	}
	if a.records == 0 {
		if err := os.Remove(path); err == nil {
			_ = w.syncDir()
		}
		return
	}
	w.pending = append(w.pending, a.name)
}
