package spool

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/harborai/ingest/internal/flock"
)

// Writer appends records to the active segment of one directory. It is safe
// for concurrent use; Appends are serialised.
type Writer struct {
	opts Options
	log  *slog.Logger
	lock *os.File // holds the directory's flock until Close

	mu      sync.Mutex
	closed  bool
	seq     uint64   // sequence of the newest segment created here or found on disk
	active  *active  // nil until the first Append after Open or a rotation
	pending []string // closed .jsonl segments waiting to be sealed, oldest first
	stats   Stats

	sealMu sync.Mutex   // one sealing pass at a time; guards zw
	zw     *gzip.Writer // reused by every seal
	kick   chan struct{}
	quit   chan struct{}
	wg     sync.WaitGroup
}

// Stats are a Writer's counters since Open.
type Stats struct {
	Records     int64 // records appended
	Bytes       int64 // bytes appended, line framing included
	Segments    int64 // segments created
	Sealed      int64 // segments sealed, including those left by a previous writer
	Unsealed    int   // segments closed but not sealed yet (a failed seal is retried at the next rotation)
	ActiveBytes int64 // size of the active segment; 0 when there is none
	Failed      int64 // Append calls that failed after their payloads were validated
	DiskFull    int64 // of which for lack of space
}

// Open takes the directory's lock, seals the segments a previous writer left
// unsealed (it never appends to them) and returns a Writer. A second Open of
// the same directory fails with ErrLocked until the first Writer is closed or
// its process dies.
func Open(opts Options) (*Writer, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := mkdirDurable(opts.Dir, opts.Sync == SyncEveryWrite); err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	w := &Writer{
		opts: opts,
		log:  opts.Logger.With("spool", opts.Dir),
		lock: lock,
		kick: make(chan struct{}, 1),
		quit: make(chan struct{}),
	}
	if err := w.recover(); err != nil {
		lock.Close()
		return nil, fmt.Errorf("open spool %s: %w", opts.Dir, err)
	}
	if fi, err := os.Stat(opts.Dir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		w.log.Warn("spool directory is accessible to other users", "mode", fi.Mode().Perm().String())
	}
	w.log.Info("spool opened", "next_sequence", w.seq+1, "unsealed", len(w.pending))
	w.wg.Add(1)
	go w.runSealer()
	if len(w.pending) > 0 {
		w.kickSealer()
	}
	return w, nil
}

// lockDir takes the exclusive lock on dir/.lock and records our pid in it.
func lockDir(dir string) (*os.File, error) {
	f, holder, err := flock.LockPID(filepath.Join(dir, ".lock"))
	if errors.Is(err, flock.ErrWouldBlock) {
		return nil, fmt.Errorf("open spool %s: %w (pid %s)", dir, ErrLocked, holder)
	}
	if err != nil {
		return nil, fmt.Errorf("open spool %s: %w", dir, err)
	}
	return f, nil
}

// Rotate closes the active segment, if any, and seals it and every segment
// still waiting to be sealed before returning. A caller that stops appending
// (PostgreSQL is back) calls Rotate so the drain can load everything.
func (w *Writer) Rotate() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.retire()
	w.mu.Unlock()
	return w.sealPending()
}

// Close seals the active segment and every segment still waiting, stops the
// background sealer and releases the directory. It is idempotent. A segment
// that could not be sealed stays on disk and is sealed by the next Open.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.retire()
	w.mu.Unlock()

	close(w.quit)
	w.wg.Wait()
	err := w.sealPending()
	if cerr := w.lock.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("release spool lock: %w", cerr)
	}
	w.log.Info("spool closed")
	return err
}

// Stats returns the Writer's counters.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Unsealed = len(w.pending)
	if w.active != nil {
		s.ActiveBytes = w.active.size
	}
	return s
}

// now is the Writer's wall clock, kept within what names and lines can hold.
func (w *Writer) now() time.Time { return clampTime(w.opts.Now()) }

func (w *Writer) syncDir() error {
	if w.opts.Sync == SyncNone {
		return nil
	}
	return syncDir(w.opts.Dir)
}
