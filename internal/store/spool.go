package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"

	"github.com/harborai/ingest/pkg/record"
	"github.com/harborai/ingest/pkg/spool"
)

// SpoolStore reads the calls in a spool directory: every record of every
// segment not yet loaded elsewhere, fragments of one call merged. It reads
// the whole spool per query, which suits the embedded default's volumes;
// PostgreSQL is the store for large ones.
type SpoolStore struct {
	dir string
	// Corrupt counts the lines skipped by the last query.
	Corrupt int
}

// NewSpoolStore reads the spool in dir.
func NewSpoolStore(dir string) *SpoolStore { return &SpoolStore{dir: dir} }

// Source names the store.
func (s *SpoolStore) Source() string { return "spool " + s.dir }

// Close releases nothing.
func (s *SpoolStore) Close() error { return nil }

// All returns every call in the spool, merged, newest first.
func (s *SpoolStore) All(ctx context.Context) ([]record.Call, error) {
	segs, err := spool.Segments(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list spool %s: %w", s.dir, err)
	}
	byID := map[string]record.Call{}
	s.Corrupt = 0
	for _, seg := range segs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		st, err := spool.ReadSegment(seg.Path, func(rec spool.Record) error {
			var c record.Call
			if !decodeCall(rec.Data, &c) {
				s.Corrupt++ // not a call record: counted, reading goes on
				return nil
			}
			if prev, ok := byID[c.CallID]; ok {
				c = record.Merge(prev, c)
			}
			byID[c.CallID] = c
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) { // a segment sealed or moved meanwhile
			return nil, fmt.Errorf("read %s: %w", seg.Name, err)
		}
		// The active segment's last line may be an append in progress.
		for _, c := range st.Corrupt {
			if c.Reason != spool.ReasonTorn || seg.Sealed {
				s.Corrupt++
			}
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

// List returns the calls matching f, newest first.
func (s *SpoolStore) List(ctx context.Context, f Filter) ([]record.Call, error) {
	all, err := s.All(ctx)
	if err != nil {
		return nil, err
	}
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
	if id == "" {
		return nil, ErrNotFound
	}
	all, err := s.All(ctx)
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

// Stats aggregates the calls matching f by f.GroupBy.
func (s *SpoolStore) Stats(ctx context.Context, f Filter) ([]StatsRow, error) {
	f.Limit = 1 << 62
	calls, err := s.List(ctx, f)
	if err != nil {
		return nil, err
	}
	return Aggregate(calls, f.GroupBy), nil
}

// decodeCall reports whether data is a call record.
func decodeCall(data []byte, c *record.Call) bool {
	return json.Unmarshal(data, c) == nil && c.CallID != ""
}
