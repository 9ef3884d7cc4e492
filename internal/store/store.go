package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
)

// ErrNotFound is returned by Get when no call matches.
var ErrNotFound = errors.New("call not found")

// Filter selects calls. Zero fields match everything.
type Filter struct {
	Since, Until time.Time
	Provider     string
	Model        string
	Status       string // success, error, pending, abandoned
	TraceID      string // a call id, hb_trace_id or OpenTelemetry trace id
	Text         string // substring of the bodies or error message
	ErrorsOnly   bool
	MinTokens    *int64 // on total_tokens
	MaxTokens    *int64
	Limit        int // 0 = 50
	// After, when set, starts the list after this call in the newest-first
	// order (keyset pagination: the cursor of a previous page's last call).
	After *pg.Cursor
	// GroupBy is how Stats groups: GroupByModel (the default: provider
	// and model), GroupByProvider or GroupByDay (UTC day of the start).
	GroupBy string
}

// What Stats groups by.
const (
	GroupByModel    = "model"
	GroupByProvider = "provider"
	GroupByDay      = "day"
)

// Store reads stored calls.
type Store interface {
	// List returns the calls matching f, newest first.
	List(ctx context.Context, f Filter) ([]record.Call, error)
	// Get returns the call with this call id, hb_trace_id or trace id.
	Get(ctx context.Context, id string) (*record.Call, error)
	// Stats aggregates the calls matching f's Since, Until, Provider and
	// Model (its other fields are not used) by f.GroupBy, in group order.
	Stats(ctx context.Context, f Filter) ([]StatsRow, error)
	// Source names the store ("spool <dir>" or "postgres").
	Source() string
	Close() error
}

// Match reports whether c passes f (used by stores that filter in memory),
// as PostgreSQL's query does: names compared exactly, the text searched
// without regard to case.
func (f *Filter) Match(c *record.Call) bool {
	switch {
	case !f.Since.IsZero() && c.StartedAt.Before(f.Since),
		!f.Until.IsZero() && !c.StartedAt.Before(f.Until),
		f.Provider != "" && c.Provider != f.Provider,
		f.Model != "" && c.Model != f.Model,
		f.Status != "" && c.DisplayStatus() != f.Status,
		f.ErrorsOnly && c.Status != "error",
		f.TraceID != "" && c.CallID != f.TraceID && c.HBTraceID != f.TraceID && c.TraceID != f.TraceID,
		f.After != nil && !before(c, f.After):
		return false
	}
	if f.MinTokens != nil || f.MaxTokens != nil {
		var total *int64
		if c.Usage != nil {
			total = c.Usage.TotalTokens
		}
		if total == nil || (f.MinTokens != nil && *total < *f.MinTokens) || (f.MaxTokens != nil && *total > *f.MaxTokens) {
			return false
		}
	}
	if f.Text != "" {
		fold := foldText(f.Text)
		text := fold(f.Text)
		has := func(s string) bool { return strings.Contains(fold(s), text) }
		in := func(p *string) bool { return p != nil && has(*p) }
		if !in(c.RequestBody) && !in(c.ResponseBody) && !has(c.ErrorMessage) {
			return false
		}
	}
	return true
}

// before reports whether c comes after the cursor in the newest-first
// order: started earlier, or at the same time with a smaller call id (byte
// order, PostgreSQL's "C" collation of call_id).
func before(c *record.Call, after *pg.Cursor) bool {
	return c.StartedAt.Before(after.StartedAt) || c.StartedAt.Equal(after.StartedAt) && c.CallID < after.CallID
}

func (f *Filter) limit() int {
	if f.Limit <= 0 {
		return 50
	}
	return f.Limit
}

// foldText returns how Match folds case for a search for text, as
// PostgreSQL's store does whatever the database's locale: ASCII letters
// alone for a text of ASCII (the C collation's ILIKE); else every letter,
// by Unicode's full case mapping (ICU's root locale's ILIKE).
func foldText(text string) func(string) string {
	if pg.ASCIIOnly(text) {
		return asciiLower
	}
	c := cases.Lower(language.Und)
	return func(s string) string { return c.String(s) }
}

// asciiLower lower-cases the ASCII letters of s, and no other.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
