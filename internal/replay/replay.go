// Package replay loads spool segments into a sink: the replayer command's
// backfill, and (with the fallback work) the ingestor's drain on recovery.
// It claims each sealed segment so two loaders never load the same one,
// records its progress so a crash resumes after the last written batch, and
// moves a loaded segment to done/. Loading is idempotent: the sinks merge by
// call id, so a segment loaded twice adds nothing.
package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/record"
	"github.com/harborai/ingest/pkg/spool"
)

// Writer stores calls (an ingest.Sink, without Close).
type Writer interface {
	Write(ctx context.Context, calls []record.Call) error
}

// Presence counts which of ids are already stored; optional.
type Presence interface {
	Existing(ctx context.Context, ids []string) (int, error)
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
	// package's local spool) into calls.
	Pricer ingest.Pricer
	Build  ingest.BuildOptions
	// Quarantine keeps corrupt lines and undecodable payloads; nil = count only.
	Quarantine func(reason string, raw []byte) error
	// Progress is called after each segment with the running summary.
	Progress func(s Summary, total int)
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
	Quarantined     int `json:"quarantined"`      // corrupt lines and bad payloads kept aside
}

// Run loads the sealed segments of the spool in dir through w. A segment
// left unsealed by a writer that is gone is sealed first; one still being
// written by a live ingestor is skipped (it is sealed on rotation).
func Run(ctx context.Context, dir string, w Writer, p Presence, opts Options) (Summary, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.Owner == "" {
		opts.Owner = "replayer:" + strconv.Itoa(os.Getpid())
	}
	if _, err := os.Stat(dir); err != nil {
		return Summary{}, fmt.Errorf("spool %s: %w", dir, err)
	}
	if !opts.DryRun {
		// Seal what a dead writer left. ErrLocked: a live writer owns it.
		if sw, err := spool.Open(spool.Options{Dir: dir}); err == nil {
			if err := sw.Close(); err != nil {
				return Summary{}, fmt.Errorf("seal %s: %w", dir, err)
			}
		} else if !errors.Is(err, spool.ErrLocked) {
			return Summary{}, fmt.Errorf("open spool %s: %w", dir, err)
		}
	}
	segs, err := spool.Segments(dir)
	if err != nil {
		return Summary{}, fmt.Errorf("list spool %s: %w", dir, err)
	}
	l := &loader{w: w, p: p, opts: opts, seen: map[string]bool{}}
	for _, seg := range segs {
		if err := ctx.Err(); err != nil {
			return l.sum, err
		}
		if err := l.segment(ctx, seg); err != nil {
			return l.sum, err
		}
		if opts.Progress != nil {
			opts.Progress(l.sum, len(segs))
		}
	}
	return l.sum, nil
}

type loader struct {
	w    Writer
	p    Presence
	opts Options
	sum  Summary
	seen map[string]bool // call ids written by this run
}

func (l *loader) segment(ctx context.Context, seg spool.Segment) error {
	if !seg.Sealed && !l.opts.DryRun {
		l.sum.SegmentsSkipped++
		return nil
	}
	from := 0
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
		if from, err = spool.LoadProgress(seg); err != nil {
			return fmt.Errorf("progress of %s: %w", seg.Name, err)
		}
	}
	var batch []record.Call
	lastLine := from
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := l.write(ctx, ingest.MergeBatch(batch)); err != nil {
			return fmt.Errorf("load %s: %w", seg.Name, err)
		}
		batch = batch[:0]
		if !l.opts.DryRun {
			return spool.SaveProgress(seg, lastLine)
		}
		return nil
	}
	st, err := spool.ReadSegment(seg.Path, func(rec spool.Record) error {
		if rec.Line <= from {
			return nil
		}
		l.sum.Records++
		c, ok := l.decode(rec.Data)
		if ok {
			batch = append(batch, c)
		}
		lastLine = rec.Line
		if len(batch) >= l.opts.BatchSize {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	l.sum.Corrupt += st.CorruptCount
	for _, c := range st.Corrupt {
		l.quarantine("spool_"+c.Reason, c.Raw)
	}
	l.sum.Segments++
	if l.opts.DryRun {
		return nil
	}
	if err := spool.MarkDone(seg); err != nil {
		return fmt.Errorf("mark %s loaded: %w", seg.Name, err)
	}
	return nil
}

// decode turns a payload into a call: a stored call (the ingestor's spool)
// or a raw event (the client's local spool).
func (l *loader) decode(data json.RawMessage) (record.Call, bool) {
	var probe struct {
		SchemaVersion json.RawMessage `json:"schema_version"`
		Kind          string          `json:"kind"`
	}
	if err := json.Unmarshal(data, &probe); err == nil && probe.SchemaVersion != nil && probe.Kind != "" {
		ev, err := event.Decode(data, 0)
		if err != nil || l.opts.Pricer == nil {
			l.quarantine("event_"+event.RejectReason(err), data)
			return record.Call{}, false
		}
		l.sum.Events++
		return ingest.Build(ev, l.opts.Pricer, l.opts.Build), true
	}
	var c record.Call
	if err := json.Unmarshal(data, &c); err != nil || c.CallID == "" {
		l.quarantine("bad_record", data)
		return record.Call{}, false
	}
	return c, true
}

func (l *loader) write(ctx context.Context, calls []record.Call) error {
	var fresh []string
	for i := range calls {
		if !l.seen[calls[i].CallID] {
			l.seen[calls[i].CallID] = true
			fresh = append(fresh, calls[i].CallID)
		}
	}
	l.sum.Calls += len(fresh)
	if l.p != nil && len(fresh) > 0 {
		n, err := l.p.Existing(ctx, fresh)
		if err != nil {
			return err
		}
		l.sum.AlreadyPresent += n
	}
	if l.opts.DryRun {
		return nil
	}
	return l.w.Write(ctx, calls)
}

func (l *loader) quarantine(reason string, raw []byte) {
	l.sum.Quarantined++
	if l.opts.Quarantine != nil && !l.opts.DryRun {
		_ = l.opts.Quarantine(reason, raw)
	}
}
