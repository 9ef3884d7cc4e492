package pricing

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/pg"
)

// Outcomes of re-pricing one call.
const (
	OutcomeRepriced      = "repriced"       // the cost changed (or would, in a dry run)
	OutcomeUnchanged     = "unchanged"      // the current prices give the stored cost
	OutcomeUnpriced      = "unpriced"       // no cost now (no price, no usage, contradicting counts): left as stored
	OutcomeSkippedCustom = "skipped_custom" // priced by its own custom_pricing: left as stored
)

// Decide re-prices one stored call with p, from its stored counters and
// start time, as the ingestor priced it: it returns the new cost and the
// outcome. A call priced by its own custom_pricing (api_parameter) is
// skipped unless includeCustom, in which case the configured prices replace
// the caller's. A call the current prices cannot price keeps its stored
// cost: re-pricing never turns a cost into a null.
func Decide(p Coster, c *pg.PricedCall, includeCustom bool) (cost.Info, string) {
	if c.Cost.PricingSource == cost.SourceAPIParameter && !includeCustom {
		return c.Cost, OutcomeSkippedCustom
	}
	info := cost.CostServed(p, c.Provider, c.Model, c.ServedModel, c.StartedAt, c.Usage, nil)
	if info.TotalCost == nil {
		return c.Cost, OutcomeUnpriced
	}
	if sameCost(&c.Cost, &info) {
		return c.Cost, OutcomeUnchanged
	}
	return info, OutcomeRepriced
}

// sameCost reports whether a and b charge the same: costs, currency,
// source, unit and unit prices, decimals compared by value.
func sameCost(a, b *cost.Info) bool {
	eq := func(x, y *decimal.Decimal) bool {
		if x == nil || y == nil {
			return x == y
		}
		return x.Equal(*y)
	}
	return eq(a.InputCost, b.InputCost) && eq(a.OutputCost, b.OutputCost) && eq(a.TotalCost, b.TotalCost) &&
		a.Currency == b.Currency && a.PricingSource == b.PricingSource && a.Unit == b.Unit &&
		eq(a.InputPrice, b.InputPrice) && eq(a.CachedInputPrice, b.CachedInputPrice) &&
		eq(a.CacheWritePrice, b.CacheWritePrice) && eq(a.OutputPrice, b.OutputPrice)
}

// RepriceOptions select and control a re-pricing run.
type RepriceOptions struct {
	Filter        pg.RepriceFilter
	IncludeCustom bool   // re-price calls priced by their own custom_pricing too
	DryRun        bool   // compute and count, write nothing
	BatchSize     int    // calls per transaction; 0 = DefaultBatchSize
	Reason        string // recorded with every audit row; "" = DefaultReason
	RunID         string // groups the audit rows; "" = a new id
	// Progress, when set, learns how many more calls were examined, after
	// each batch.
	Progress func(examined int)
	// OnChange, when set, sees every call whose cost changes (or would, in
	// a dry run), after its batch is written.
	OnChange func(Change)
}

// Default batch size and audit reason of Reprice.
const (
	DefaultBatchSize = 500
	MaxBatchSize     = 10000
	DefaultReason    = "harborctl pricing reprice"
)

// Change is one call's cost before and after re-pricing.
type Change struct {
	CallID   string    `json:"call_id"`
	Provider string    `json:"provider"`
	Model    string    `json:"model"`
	Old      cost.Info `json:"old"`
	New      cost.Info `json:"new"`
}

// Summary counts what a re-pricing run did.
type Summary struct {
	RunID         string `json:"run_id"`
	DryRun        bool   `json:"dry_run"`
	Examined      int64  `json:"examined"`
	Repriced      int64  `json:"repriced"` // in a dry run: would be
	Unchanged     int64  `json:"unchanged"`
	Unpriced      int64  `json:"unpriced"`
	SkippedCustom int64  `json:"skipped_custom"`
	// Conflicts are calls whose cost or response changed while the run
	// read them (a late response, another run): left alone; run again.
	Conflicts int64 `json:"conflicts"`
	// Totals sum the total cost of the re-priced calls before and after,
	// per currency (never across currencies).
	Totals map[string]*CurrencyTotals `json:"totals"`
}

// CurrencyTotals are the summed total costs in one currency.
type CurrencyTotals struct {
	Old decimal.Decimal `json:"old"`
	New decimal.Decimal `json:"new"`
}

// count counts a call that is not re-priced.
func (s *Summary) count(outcome string) {
	switch outcome {
	case OutcomeUnchanged:
		s.Unchanged++
	case OutcomeUnpriced:
		s.Unpriced++
	case OutcomeSkippedCustom:
		s.SkippedCustom++
	}
}

func (s *Summary) addTotals(before, after *cost.Info) {
	add := func(k *cost.Info, f func(t *CurrencyTotals, d decimal.Decimal)) {
		if k.TotalCost == nil || k.Currency == "" {
			return
		}
		t := s.Totals[k.Currency]
		if t == nil {
			t = &CurrencyTotals{}
			s.Totals[k.Currency] = t
		}
		f(t, *k.TotalCost)
	}
	add(before, func(t *CurrencyTotals, d decimal.Decimal) { t.Old = t.Old.Add(d) })
	add(after, func(t *CurrencyTotals, d decimal.Decimal) { t.New = t.New.Add(d) })
}

// Reprice recomputes the cost of the stored calls opts.Filter selects with
// p (see Decide), in batches of opts.BatchSize calls in (started_at,
// call_id) order. Each batch's changes are written in one transaction
// together with one reprice_audit row per changed call holding its previous
// and new figures (pg.UpdateCosts). Running it again with the same prices
// changes nothing and writes no audit row. It stops at the first error,
// returning what was done so far (committed batches stay).
func Reprice(ctx context.Context, pool *pgxpool.Pool, p Coster, opts RepriceOptions) (Summary, error) {
	if pool == nil {
		return Summary{}, ErrNoPostgres
	}
	batch := opts.BatchSize
	switch {
	case batch == 0:
		batch = DefaultBatchSize
	case batch < 0 || batch > MaxBatchSize:
		return Summary{}, fmt.Errorf("batch size %d: want 1..%d", batch, MaxBatchSize)
	}
	if !opts.Filter.Since.IsZero() && !opts.Filter.Until.IsZero() && !opts.Filter.Since.Before(opts.Filter.Until) {
		return Summary{}, errors.New("empty time range: since must be before until")
	}
	note := pg.AuditNote{RunID: opts.RunID, Reason: opts.Reason}
	if note.RunID == "" {
		note.RunID = event.NewID()
	}
	if note.Reason == "" {
		note.Reason = DefaultReason
	}
	sum := Summary{RunID: note.RunID, DryRun: opts.DryRun, Totals: map[string]*CurrencyTotals{}}
	var after *pg.Cursor
	for {
		calls, err := pg.ListPricedCalls(ctx, pool, opts.Filter, after, batch)
		if err != nil {
			return sum, fmt.Errorf("reprice: %w", err)
		}
		if len(calls) == 0 {
			return sum, nil
		}
		var updates []pg.CostUpdate
		for i := range calls {
			info, outcome := Decide(p, &calls[i], opts.IncludeCustom)
			if outcome == OutcomeRepriced {
				updates = append(updates, pg.CostUpdate{Call: calls[i], New: info})
				continue
			}
			sum.count(outcome)
		}
		sum.Examined += int64(len(calls))
		applied := make([]bool, len(updates))
		if opts.DryRun {
			for i := range applied {
				applied[i] = true
			}
		} else if applied, err = pg.UpdateCosts(ctx, pool, updates, note); err != nil {
			return sum, fmt.Errorf("reprice: %w", err)
		}
		for i := range updates {
			u := &updates[i]
			if !applied[i] {
				sum.Conflicts++
				continue
			}
			sum.Repriced++
			sum.addTotals(&u.Call.Cost, &u.New)
			if opts.OnChange != nil {
				opts.OnChange(Change{CallID: u.Call.CallID, Provider: u.Call.Provider, Model: u.Call.Model, Old: u.Call.Cost, New: u.New})
			}
		}
		if opts.Progress != nil {
			opts.Progress(len(calls))
		}
		last := calls[len(calls)-1]
		after = &pg.Cursor{StartedAt: last.StartedAt, CallID: last.CallID}
		if len(calls) < batch {
			return sum, nil
		}
	}
}
