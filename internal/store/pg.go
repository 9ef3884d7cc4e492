package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
)

// PGStore reads calls from PostgreSQL.
type PGStore struct {
	w  *pg.Writer // owns the pool
	st *pg.Store
}

// OpenPG connects to PostgreSQL at url.
func OpenPG(ctx context.Context, url string) (*PGStore, error) {
	cfg := pg.Config{URL: url}
	w, err := pg.NewWriter(ctx, cfg, nil)
	if err != nil {
		return nil, err
	}
	return &PGStore{w: w, st: pg.NewStore(w.Pool(), cfg)}, nil
}

// Source names the store.
func (s *PGStore) Source() string { return "postgres" }

// Close closes the pool.
func (s *PGStore) Close() error { return s.w.Close() }

// List pages through PostgreSQL until f's limit.
func (s *PGStore) List(ctx context.Context, f Filter) ([]record.Call, error) {
	want := f.limit()
	pf := pg.Filter{Since: f.Since, Until: f.Until, Provider: f.Provider, Model: f.Model, Status: f.Status,
		TraceID: f.TraceID, Text: f.Text, MinTokens: f.MinTokens, MaxTokens: f.MaxTokens, ErrorsOnly: f.ErrorsOnly,
		After: f.After}
	var out []record.Call
	for len(out) < want {
		pf.Limit = min(want-len(out), 1000)
		calls, next, err := s.st.List(ctx, pf)
		if err != nil {
			return nil, err
		}
		out = append(out, calls...)
		if next == nil {
			break
		}
		pf.After = next
	}
	return out, nil
}

// Get returns the call with this call id or either trace id.
func (s *PGStore) Get(ctx context.Context, id string) (*record.Call, error) {
	c, err := s.st.Get(ctx, id)
	if errors.Is(err, pg.ErrNotFound) {
		return nil, ErrNotFound
	}
	return c, err
}

// Stats aggregates in PostgreSQL by f.GroupBy. When a group's token sum
// does not fit pkg/pg's int64 (a vendor reported an absurd count), it
// aggregates the calls of the period here instead (aggregate), exactly, as
// the spool store does, rather than failing for every group.
func (s *PGStore) Stats(ctx context.Context, f Filter) ([]StatsRow, error) {
	groupBy := pg.GroupByModel
	switch f.GroupBy {
	case GroupByProvider:
		groupBy = pg.GroupByProvider
	case GroupByDay:
		groupBy = pg.GroupByDay
	}
	rows, err := s.st.Stats(ctx, pg.StatsFilter{Since: f.Since, Until: f.Until, Provider: f.Provider, Model: f.Model, GroupBy: groupBy})
	if sumOverflow(err) {
		return s.aggregate(ctx, f)
	}
	if err != nil {
		return nil, err
	}
	out := make([]StatsRow, 0, len(rows))
	for _, r := range rows {
		sr := StatsRow{Provider: r.Provider, Model: r.Model, Calls: r.Calls, Errors: r.Errors, Pending: r.Pending,
			PromptTokens: TokensOf(r.PromptTokens), CompletionTokens: TokensOf(r.CompletionTokens), TotalTokens: TokensOf(r.TotalTokens),
			Cost: map[string]decimal.Decimal{}, Unpriced: r.Unpriced}
		if groupBy == pg.GroupByDay {
			sr.Day = r.Day.Format(time.DateOnly)
		}
		for _, c := range r.Costs {
			sr.Cost[c.Currency] = c.TotalCost
		}
		out = append(out, sr)
	}
	return out, nil
}

// sumOverflow reports whether err is pkg/pg's statistics failing on a
// token sum beyond int64: the sum of a group's currencies
// (pg.ErrSumOverflow), or one currency's numeric sum that pgx cannot scan
// into an int64.
func sumOverflow(err error) bool {
	var scan pgx.ScanArgError
	return errors.Is(err, pg.ErrSumOverflow) || errors.As(err, &scan) && errors.Is(scan.Err, strconv.ErrRange)
}

// aggregate reads the calls of f's period, provider and model, a page at
// a time, and sums them here (as the spool store does): slower than
// PostgreSQL's aggregation, for the rare period whose sums it cannot return.
func (s *PGStore) aggregate(ctx context.Context, f Filter) ([]StatsRow, error) {
	a := newAggregator(f.GroupBy)
	pf := pg.Filter{Since: f.Since, Until: f.Until, Provider: f.Provider, Model: f.Model, Limit: 1000}
	for {
		calls, next, err := s.st.List(ctx, pf)
		if err != nil {
			return nil, fmt.Errorf("stats: %w", err)
		}
		for i := range calls {
			a.add(&calls[i])
		}
		if next == nil {
			return a.rows(), nil
		}
		pf.After = next
	}
}
