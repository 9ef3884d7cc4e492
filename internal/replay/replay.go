// Package replay loads spool segments into a sink: the replayer command's
// backfill, and (with the fallback work) the ingestor's drain on recovery.
// It claims each sealed segment so two loaders never load the same one,
// records its progress so a crash resumes after the last written batch, and
// moves a loaded segment to done/. Loading is idempotent: the sinks merge by
// call id, so a segment loaded twice adds nothing.
//
// Batches are written as the ingestor writes them: sorted by call id, a
// retryable error (pg.IsRetryable: deadlock, lock or statement timeout,
// connection lost) retried with backoff for a bounded time, and a call the
// store rejects as data (pg.PoisonError) quarantined while the rest of its
// batch is kept. Calls are counted once written, once per run.
package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/record"
	"github.com/harborai/ingest/pkg/spool"
)

// Writer stores calls (an ingest.Sink, without Close). A *pg.PoisonError
// names calls it rejected as data, the others of the batch being written;
// other errors are retried while pg.IsRetryable holds.
type Writer interface {
	Write(ctx context.Context, calls []record.Call) error
}

// Presence tells which calls are already stored; optional.
type Presence interface {
	// Existing returns those of ids that are already stored. The ids are
	// given as pkg/pg stores them: each NUL and invalid UTF-8 byte
	// replaced by U+FFFD.
	Existing(ctx context.Context, ids []string) (map[string]bool, error)
}

// Options tune a replay.
type Options struct {
	// DryRun reads and counts without writing, claiming or moving anything.
	DryRun bool
	// BatchSize is the most calls per write (default 1000).
	BatchSize int
	// Owner names this loader in claims (default "replayer:<pid>").
	Owner string
	// Pricer and Build turn event payloads (written by the client
	// package's local spool) into calls. Without Build.KeepBodies, stored
	// calls (the ingestor's spool) lose their bodies too.
	Pricer ingest.Pricer
	Build  ingest.BuildOptions
	// RetryFor bounds how long a write (or presence query) failing with a
	// retryable error is retried, with backoff, before the replay fails
	// (default 2 minutes).
	RetryFor time.Duration
	// Quarantine keeps corrupt lines, undecodable payloads and the calls
	// the writer rejects, read from the spool directory dir; nil = count
	// only. When it fails, the replay stops before the segment is marked
	// loaded.
	Quarantine func(dir, reason string, raw []byte) error
	// KeepSegment keeps a whole copy of a segment of dir that had corrupt
	// lines, before it is marked loaded: its quarantined lines hold at most
	// spool.MaxCorruptRaw bytes each, and only the first
	// spool.MaxCorruptReported of them, while retention removes loaded
	// segments (PruneLoaded). nil = none kept. When it fails, the replay
	// stops before the segment is marked loaded.
	KeepSegment func(dir string, seg spool.Segment) error
	// Progress is called after each batch read and each segment of dir,
	// with the running summary of dir and its number of segments.
	Progress func(dir string, s Summary, segments int)
	// Logger reports retried writes and rejected calls (nil discards).
	Logger *slog.Logger
}

// Summary is what a replay did.
type Summary struct {
	Segments        int `json:"segments"`         // segments loaded
	SegmentsSkipped int `json:"segments_skipped"` // claimed by another loader, or active
	Records         int `json:"records"`          // good lines read
	Events          int `json:"events"`           // of which were raw events
	Calls           int `json:"calls"`            // distinct calls written
	AlreadyPresent  int `json:"already_present"`  // of which were already stored before this run
	Corrupt         int `json:"corrupt_lines"`    // torn or damaged lines
	Quarantined     int `json:"quarantined"`      // corrupt lines, bad payloads and rejected calls kept aside
	Rejected        int `json:"rejected_calls"`   // of which calls the writer rejected (poison_record)
	// Missing counts calls before a segment's saved progress that the
	// store did not have (a spool copied from another host, a restored or
	// different database): they are written (and counted in Calls).
	Missing int `json:"missing_before_progress"`
}

// Add returns the sum of s and o.
func (s Summary) Add(o Summary) Summary {
	s.Segments += o.Segments
	s.SegmentsSkipped += o.SegmentsSkipped
	s.Records += o.Records
	s.Events += o.Events
	s.Calls += o.Calls
	s.AlreadyPresent += o.AlreadyPresent
	s.Corrupt += o.Corrupt
	s.Quarantined += o.Quarantined
	s.Rejected += o.Rejected
	s.Missing += o.Missing
	return s
}

// Loader loads spool directories through a writer. Use one Loader for all
// the directories of a run: it remembers the calls it wrote, so a call
// whose fragments lie in several directories counts once, and not as
// already present. A Loader is not safe for concurrent use.
type Loader struct {
	w    Writer
	p    Presence
	opts Options
	log  *slog.Logger
	seen *idSet // stored ids of the calls written by this run
	// rejected holds the stored ids of the calls the writer rejected in
	// this run: a call rejected in several fragments counts once.
	rejected map[string]bool
}

// NewLoader returns a loader writing through w; p may be nil.
func NewLoader(w Writer, p Presence, opts Options) *Loader {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.Owner == "" {
		opts.Owner = "replayer:" + strconv.Itoa(os.Getpid())
	}
	if opts.RetryFor <= 0 {
		opts.RetryFor = DefaultRetryFor
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Loader{w: w, p: p, opts: opts, log: log, seen: newIDSet(), rejected: map[string]bool{}}
}

// DefaultRetryFor is how long a failing write is retried by default.
const DefaultRetryFor = 2 * time.Minute

// Run loads one spool directory with a new Loader (see Loader.Load).
func Run(ctx context.Context, dir string, w Writer, p Presence, opts Options) (Summary, error) {
	return NewLoader(w, p, opts).Load(ctx, dir)
}

// Load loads the sealed segments of the spool in dir and returns what it
// did there. A segment left unsealed by a writer that is gone is sealed
// first; one still being written by a live ingestor is skipped (it is
// sealed on rotation).
func (l *Loader) Load(ctx context.Context, dir string) (Summary, error) {
	if _, err := os.Stat(dir); err != nil {
		return Summary{}, fmt.Errorf("spool %s: %w", dir, err)
	}
	segs, err := spool.Segments(dir)
	if err != nil {
		return Summary{}, fmt.Errorf("list spool %s: %w", dir, err)
	}
	if !l.opts.DryRun && slices.ContainsFunc(segs, func(s spool.Segment) bool { return !s.Sealed }) {
		// Seal what a dead writer left. ErrLocked: a live writer owns it.
		// Only then is the spool opened (locked): a directory that is not
		// a spool is left as it was, and an ingestor starting meanwhile
		// rarely waits.
		if sw, err := spool.Open(spool.Options{Dir: dir}); err == nil {
			if err := sw.Close(); err != nil {
				return Summary{}, fmt.Errorf("seal %s: %w", dir, err)
			}
		} else if !errors.Is(err, spool.ErrLocked) {
			return Summary{}, err // "open spool DIR: ..."
		}
		if segs, err = spool.Segments(dir); err != nil {
			return Summary{}, fmt.Errorf("list spool %s: %w", dir, err)
		}
	}
	d := &dirLoad{Loader: l, dir: dir, segs: len(segs)}
	for _, seg := range segs {
		if err := ctx.Err(); err != nil {
			return d.sum, err
		}
		if err := d.segment(ctx, seg); err != nil {
			return d.sum, err
		}
		if l.opts.Progress != nil {
			l.opts.Progress(dir, d.sum, len(segs))
		}
	}
	return d.sum, nil
}

// dirLoad is the loading of one spool directory.
type dirLoad struct {
	*Loader
	dir  string
	segs int // segments in dir, for Progress
	// mu guards sum and the quarantine hook while a segment loads: its
	// reader and its writer (segmentWriter) both count and quarantine.
	mu  sync.Mutex
	sum Summary
}

func (l *dirLoad) segment(ctx context.Context, seg spool.Segment) error {
	skip, err := l.skip(seg)
	if err != nil || skip {
		return err
	}
	if !l.opts.DryRun {
		release, err := spool.Claim(seg, l.opts.Owner)
		if errors.Is(err, spool.ErrClaimed) || errors.Is(err, os.ErrNotExist) {
			l.sum.SegmentsSkipped++ // another loader has it, or finished it
			return nil
		}
		if err != nil {
			return fmt.Errorf("claim %s: %w", seg.Name, err)
		}
		defer func() { _ = release() }()
	}
	from, err := spool.LoadProgress(seg)
	if err != nil {
		return fmt.Errorf("progress of %s: %w", seg.Name, err)
	}
	// Batches are written by a goroutine of their own while the next one
	// is read and decoded: reading and writing take turns otherwise, each
	// waiting for the other.
	w := l.startWriter(ctx, seg)
	var batch, before []record.Call
	lastLine := from
	flush := func(batch *[]record.Call, resumed bool) error {
		if len(*batch) == 0 {
			return nil
		}
		calls := ingest.MergeBatch(*batch)
		// One order for every batch, as the ingestor's. pg.Writer.Write
		// sorts again by the id as stored, which is what keeps it from
		// deadlocking with the ingestor's writers.
		slices.SortFunc(calls, func(a, b record.Call) int { return strings.Compare(a.CallID, b.CallID) })
		*batch = nil // the writer's now
		if err := w.send(linesBatch{calls: calls, lastLine: lastLine, resumed: resumed}); err != nil {
			return err
		}
		if l.opts.Progress != nil && !resumed {
			// Within a segment too: one segment may hold an outage's
			// every call.
			l.mu.Lock()
			sum := l.sum
			l.mu.Unlock()
			l.opts.Progress(l.dir, sum, l.segs)
		}
		return nil
	}
	st, err := spool.ReadSegment(seg.Path, func(rec spool.Record) error {
		if rec.Line <= from {
			// Loaded before, says the progress: into this store, or into
			// another (a spool copied from another host, a database
			// restored since). Those the store lacks are written again;
			// what was quarantined of them then is not again.
			if c, ok, err := l.decode(rec.Data, true); err == nil && ok {
				before = append(before, c)
			}
			if len(before) >= l.opts.BatchSize || rec.Line == from {
				return flush(&before, true)
			}
			return nil
		}
		if err := flush(&before, true); err != nil {
			return err
		}
		l.mu.Lock()
		l.sum.Records++
		l.mu.Unlock()
		c, ok, err := l.decode(rec.Data, false)
		if err != nil {
			return fmt.Errorf("load %s line %d: %w", seg.Name, rec.Line, err)
		}
		if ok {
			batch = append(batch, c)
		}
		lastLine = rec.Line
		if len(batch) >= l.opts.BatchSize {
			return flush(&batch, false)
		}
		return nil
	})
	if err == nil {
		if err = flush(&before, true); err == nil { // a progress beyond the lines read
			err = flush(&batch, false)
		}
	}
	if werr := w.wait(); err == nil {
		err = werr
	}
	if err != nil {
		return err
	}
	l.sum.Corrupt += st.CorruptCount
	for _, c := range st.Corrupt {
		if err := l.quarantine("spool_"+c.Reason, c.Raw); err != nil {
			return fmt.Errorf("load %s: %w", seg.Name, err)
		}
	}
	l.sum.Segments++
	if l.opts.DryRun {
		return nil
	}
	if st.CorruptCount > 0 && l.opts.KeepSegment != nil {
		if err := l.opts.KeepSegment(l.dir, seg); err != nil {
			return fmt.Errorf("keep %s, which has corrupt lines: %w", seg.Name, err)
		}
	}
	if err := spool.MarkDone(seg); err != nil {
		return fmt.Errorf("mark %s loaded: %w", seg.Name, err)
	}
	return nil
}

// skip reports whether seg is left to another load: a segment a live
// writer is still appending to, or (on a dry run, which claims nothing) one
// another loader holds, as a load would skip them. It counts it skipped.
func (l *dirLoad) skip(seg spool.Segment) (bool, error) {
	var skip bool
	var err error
	switch {
	case !seg.Sealed && !l.opts.DryRun:
		skip = true // Load sealed what a dead writer left
	case !seg.Sealed:
		skip, err = spool.Live(l.dir)
		if fi, serr := os.Stat(seg.Path); err == nil && !skip && serr == nil && fi.Size() == 0 {
			return true, nil // a load seals what a dead writer left, which removes an empty segment
		}
	case l.opts.DryRun:
		skip, err = spool.Claimed(seg)
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", seg.Name, err)
	}
	if skip {
		l.sum.SegmentsSkipped++
	}
	return skip, nil
}

// decode turns a payload into a call: a stored call (the ingestor's spool)
// or a raw event (the client's local spool). A payload that is neither is
// quarantined (ok false); err says it could not be. A payload decoded
// again (loaded before) is neither counted nor quarantined.
func (l *dirLoad) decode(data json.RawMessage, again bool) (c record.Call, ok bool, err error) {
	var probe struct {
		SchemaVersion json.RawMessage `json:"schema_version"`
		Kind          string          `json:"kind"`
	}
	// The probe reads the whole payload, a third of the cost of a call;
	// a payload with no key the probe could take for schema_version is a
	// call without it.
	if mayHaveSchemaVersion(data) && json.Unmarshal(data, &probe) == nil && probe.SchemaVersion != nil && probe.Kind != "" {
		ev, err := event.Decode(data, 0)
		switch {
		case (err != nil || l.opts.Pricer == nil) && again:
			return record.Call{}, false, nil
		case err != nil || l.opts.Pricer == nil:
			return record.Call{}, false, l.quarantine("event_"+event.RejectReason(err), data)
		case !again:
			l.mu.Lock()
			l.sum.Events++
			l.mu.Unlock()
		}
		return ingest.Build(ev, l.opts.Pricer, l.opts.Build), true, nil
	}
	if err := json.Unmarshal(data, &c); err != nil || c.CallID == "" {
		if again {
			return record.Call{}, false, nil
		}
		return record.Call{}, false, l.quarantine("bad_record", data)
	}
	if !l.opts.Build.KeepBodies { // bodies turned off: none is stored, whoever kept it
		c.RequestBody, c.ResponseBody = nil, nil
	}
	return c, true, nil
}

// mayHaveSchemaVersion reports whether data may have a key encoding/json
// matches to "schema_version", in any case: such a key holds "chema_" in
// some ASCII case (c, h, e, m and a fold only to their other ASCII case,
// and _ to nothing), unless letters or the underscore are written as
// \u escapes. It errs on the side of true: bodies that mention the name, or
// escape a letter, go the slow way.
func mayHaveSchemaVersion(data []byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '_')
		if j < 0 {
			break
		}
		i += j
		if i >= 5 && bytes.EqualFold(data[i-5:i], []byte("chema")) {
			return true
		}
		i++
	}
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte(`\u00`))
		if j < 0 {
			return false
		}
		i += j + 4
		if i+2 <= len(data) {
			if c, err := strconv.ParseUint(string(data[i:i+2]), 16, 8); err == nil && (c == '_' || 'a' <= c|0x20 && c|0x20 <= 'z') {
				return true
			}
		}
	}
}

// quarantine counts raw as kept aside and hands it to the hook (not on a
// dry run).
func (l *dirLoad) quarantine(reason string, raw []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.opts.Quarantine != nil && !l.opts.DryRun {
		if err := l.opts.Quarantine(l.dir, reason, raw); err != nil {
			return fmt.Errorf("quarantine %s: %w", reason, err) // not counted: not kept
		}
	}
	l.sum.Quarantined++
	return nil
}

// linesBatch is a batch of a segment's calls, merged and sorted, and the
// last line it covers.
type linesBatch struct {
	calls    []record.Call
	lastLine int
	resumed  bool // lines before the saved progress: only the calls missing are written
}

// segmentWriter writes a segment's batches in order, on a goroutine of its
// own, recording the segment's progress after each.
type segmentWriter struct {
	batches chan linesBatch
	done    chan struct{}
	err     error // why it stopped early; read after done is closed
}

// startWriter starts the writer of seg's batches.
func (l *dirLoad) startWriter(ctx context.Context, seg spool.Segment) *segmentWriter {
	w := &segmentWriter{batches: make(chan linesBatch), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for b := range w.batches {
			if err := l.write(ctx, b.calls, b.resumed); err != nil {
				w.err = fmt.Errorf("load %s: %w", seg.Name, err)
				return
			}
			if l.opts.DryRun || b.resumed {
				continue
			}
			if err := spool.SaveProgress(seg, b.lastLine); err != nil {
				w.err = err
				return
			}
		}
	}()
	return w
}

// send hands b to the writer once it has written the batch before; after
// the writer failed, it returns the writer's error instead.
func (w *segmentWriter) send(b linesBatch) error {
	select {
	case w.batches <- b:
		return nil
	case <-w.done:
		return w.err
	}
}

// wait returns once the writer has written every batch sent, or failed,
// and returns its error.
func (w *segmentWriter) wait() error {
	close(w.batches)
	<-w.done
	return w.err
}
