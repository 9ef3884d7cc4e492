package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"sort"

	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
	"github.com/harborai/ingest/pkg/spool"
)

// SpoolStore reads the calls in a spool directory: every record of every
// segment not yet loaded elsewhere, fragments of one call merged. It reads
// the whole spool per query, which suits the embedded default's volumes;
// PostgreSQL is the store for large ones.
type SpoolStore struct {
	dir      string
	segments func(dir string) ([]spool.Segment, error) // spool.Segments; tests interpose
	// Corrupt counts the damaged lines the last query skipped: its answer
	// lacks whatever calls they held. Damaged says where they are.
	Corrupt int
	// Damaged lists the segments with damaged lines, in segment order.
	Damaged []Damage
}

// Damage is what a query skipped of one segment.
type Damage struct {
	Segment string   // file name, in the spool directory
	Lines   int      // damaged lines skipped: bad records, and records that are not a call
	Reasons []string // why (pkg/spool's Reason constants, "not_a_call"), each once, in order
	// Unreadable: the compressed stream is damaged (a truncated or
	// corrupted gzip file); the rest of the segment could not be read, so
	// it may have held many more calls than Lines.
	Unreadable bool
}

// reasonNotACall is Damage's reason for a good record whose data is not a call.
const reasonNotACall = "not_a_call"

// Dir is the spool directory read.
func (s *SpoolStore) Dir() string { return s.dir }

// NewSpoolStore reads the spool in dir.
func NewSpoolStore(dir string) *SpoolStore { return &SpoolStore{dir: dir, segments: spool.Segments} }

// Source names the store.
func (s *SpoolStore) Source() string { return "spool " + s.dir }

// Close releases nothing.
func (s *SpoolStore) Close() error { return nil }

// All returns every call in the spool, merged, newest first, exactly as
// the segments hold it (List, Get and Stats answer with the calls as
// PostgreSQL would store them instead: storedCall).
func (s *SpoolStore) All(ctx context.Context) ([]record.Call, error) {
	return s.read(ctx, false)
}

// read returns every call in the spool, fragments of one call merged,
// newest first; stored: each fragment as PostgreSQL stores it (storedCall)
// before they are merged, as PostgreSQL merges the rows it stored.
func (s *SpoolStore) read(ctx context.Context, stored bool) ([]record.Call, error) {
	segs, err := s.segments(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list spool %s: %w", s.dir, err)
	}
	byID := map[string]record.Call{}
	s.Corrupt, s.Damaged = 0, nil
	for _, seg := range segs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d := Damage{Segment: seg.Name}
		st, sealed, err := readSegment(seg, func(rec spool.Record) error {
			var c record.Call
			if !decodeCall(rec.Data, &c) {
				d.Lines++ // not a call record: counted, reading goes on
				d.reason(reasonNotACall)
				return nil
			}
			if stored {
				c = storedCall(c)
			}
			if prev, ok := byID[c.CallID]; ok {
				c = record.Merge(prev, c)
			}
			byID[c.CallID] = c
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) { // a segment loaded (moved to done/) meanwhile
			return nil, fmt.Errorf("read %s: %w", seg.Name, err)
		}
		corrupt, n := st.Corrupt, st.CorruptCount // Corrupt details the first 1,000
		// The active segment's last line may be an append in progress, not
		// damage: the last one reported, when all are.
		if k := len(corrupt); !sealed && k > 0 && k == n && corrupt[k-1].Reason == spool.ReasonTorn {
			corrupt, n = corrupt[:k-1], n-1
		}
		d.Lines += n
		for _, c := range corrupt {
			d.reason(c.Reason)
			d.Unreadable = d.Unreadable || c.Reason == spool.ReasonGzip
		}
		if d.Lines > 0 {
			s.Corrupt += d.Lines
			s.Damaged = append(s.Damaged, d)
		}
	}
	calls := make([]record.Call, 0, len(byID))
	for _, c := range byID {
		calls = append(calls, c)
	}
	sort.Slice(calls, func(i, j int) bool {
		if !calls[i].StartedAt.Equal(calls[j].StartedAt) {
			return calls[i].StartedAt.After(calls[j].StartedAt)
		}
		return calls[i].CallID > calls[j].CallID
	})
	return calls, nil
}

// reason adds why a line is damaged, once.
func (d *Damage) reason(reason string) {
	if !slices.Contains(d.Reasons, reason) {
		d.Reasons = append(d.Reasons, reason)
	}
}

// readSegment reads seg and reports whether it read it sealed. An unsealed
// segment that the writer sealed since it was listed is read in its sealed
// form: its records are not skipped.
func readSegment(seg spool.Segment, fn func(spool.Record) error) (spool.ReadStats, bool, error) {
	st, err := spool.ReadSegment(seg.Path, fn)
	if !seg.Sealed && errors.Is(err, fs.ErrNotExist) {
		seg.Path, seg.Sealed = seg.Path+".gz", true
		st, err = spool.ReadSegment(seg.Path, fn)
	}
	return st, seg.Sealed, err
}

// List returns the calls matching f, newest first.
func (s *SpoolStore) List(ctx context.Context, f Filter) ([]record.Call, error) {
	all, err := s.read(ctx, true)
	if err != nil {
		return nil, err
	}
	f = storedFilter(f)
	out := all[:0]
	for i := range all {
		if f.Match(&all[i]) {
			out = append(out, all[i])
			if len(out) == f.limit() {
				break
			}
		}
	}
	return out, nil
}

// Get returns the call with this call id, or else the first call (by start
// time, then call id) with this hb_trace_id or OpenTelemetry trace id, as
// PostgreSQL's store does; ErrNotFound when none (or id is empty).
func (s *SpoolStore) Get(ctx context.Context, id string) (*record.Call, error) {
	if id = pg.StoredText(id); id == "" { // looked up as stored, as PostgreSQL's store does
		return nil, ErrNotFound
	}
	all, err := s.read(ctx, true)
	if err != nil {
		return nil, err
	}
	var first *record.Call
	for i := range all {
		c := &all[i]
		switch {
		case c.CallID == id:
			return c, nil
		case c.HBTraceID != id && c.TraceID != id:
		case first == nil || c.StartedAt.Before(first.StartedAt) ||
			c.StartedAt.Equal(first.StartedAt) && c.CallID < first.CallID:
			first = c
		}
	}
	if first == nil {
		return nil, ErrNotFound
	}
	return first, nil
}

// Stats aggregates the calls matching f's time range, provider and model
// by f.GroupBy, as PostgreSQL's store does.
func (s *SpoolStore) Stats(ctx context.Context, f Filter) ([]StatsRow, error) {
	calls, err := s.List(ctx, Filter{Since: f.Since, Until: f.Until, Provider: f.Provider, Model: f.Model, Limit: math.MaxInt})
	if err != nil {
		return nil, err
	}
	return Aggregate(calls, f.GroupBy), nil
}

// decodeCall reports whether data is a call record.
func decodeCall(data []byte, c *record.Call) bool {
	return json.Unmarshal(data, c) == nil && c.CallID != ""
}
