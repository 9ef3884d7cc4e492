package pg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// What Stats groups by.
const (
	GroupByNone     = ""
	GroupByProvider = "provider"
	GroupByModel    = "model" // provider and model
	GroupByDay      = "day"   // UTC day of started_at
)

// StatsFilter selects and groups the calls of Stats.
type StatsFilter struct {
	Since, Until time.Time // started_at in [Since, Until); zero: unbounded
	Provider     string
	Model        string
	GroupBy      string // a GroupBy constant
}

// StatsRow sums one group of calls. Counts and tokens add up over the
// group; costs are per currency, never summed across currencies.
type StatsRow struct {
	Provider string    // GroupByProvider, GroupByModel
	Model    string    // GroupByModel
	Day      time.Time // GroupByDay: UTC midnight

	Calls, Success, Errors, Abandoned, Pending int64
	// Unpriced counts the calls with tokens (a count above 0) but no
	// cost: no price found, or pricing failed (record.Call.Unpriced).
	Unpriced int64

	PromptTokens, CompletionTokens, TotalTokens     int64
	CachedTokens, ReasoningTokens, CacheWriteTokens int64

	// AvgLatencyMS is the mean latency of the calls that have one.
	AvgLatencyMS float64

	// Costs has one entry per currency of the group's priced calls, by
	// currency code.
	Costs []CurrencyCost
}

// CurrencyCost sums the costs of the calls priced in one currency.
type CurrencyCost struct {
	Currency                         string
	Calls                            int64 // calls with a total cost
	InputCost, OutputCost, TotalCost decimal.Decimal
}

// Stats returns per-group counts, tokens and costs, in group order.
//
// It reads every call of the period, so it is planned for its very
// parameters each time (custom plans, statsExecMode) and without JIT
// compilation (statsJIT), in a read-only transaction.
func (s *Store) Stats(ctx context.Context, f StatsFilter) ([]StatsRow, error) {
	var keys []string
	switch f.GroupBy {
	case GroupByNone:
	case GroupByProvider:
		keys = []string{"provider"}
	case GroupByModel:
		keys = []string{"provider", "coalesce(model, '')"}
	case GroupByDay:
		// The expression of the extended statistics calls_day_stats
		// (0005_stats.sql): without them the planner expects a group per
		// row and sorts instead of hashing.
		keys = []string{"date_trunc('day', started_at AT TIME ZONE 'UTC')"}
	default:
		return nil, fmt.Errorf("stats: group by %q: want provider, model or day", f.GroupBy)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	where, args := Filter{Since: f.Since, Until: f.Until, Provider: f.Provider, Model: f.Model}.where()
	// Groups in the order of keys (provider, then model), then currency.
	// Ordered by bytes (COLLATE "C"), as the spool store and call ids are,
	// whatever the database's collation.
	selectKeys, groupKeys, orderKeys := "", "", ""
	for i, k := range keys {
		selectKeys += fmt.Sprintf("%s AS k%d, ", k, i)
		groupKeys += fmt.Sprintf("k%d, ", i)
		if f.GroupBy == GroupByDay {
			orderKeys += fmt.Sprintf("k%d, ", i) // a timestamp
		} else {
			orderKeys += fmt.Sprintf(`(%s) COLLATE "C", `, k) // an alias takes no COLLATE
		}
	}
	groupKeys += "currency"
	orderKeys += `currency COLLATE "C"`
	sql := "SELECT " + selectKeys + `currency,
		count(*),
		count(*) FILTER (WHERE status = 'success'),
		count(*) FILTER (WHERE status = 'error'),
		count(*) FILTER (WHERE status = 'abandoned'),
		count(*) FILTER (WHERE status IS NULL),
		coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0), coalesce(sum(total_tokens), 0),
		coalesce(sum(cached_tokens), 0), coalesce(sum(reasoning_tokens), 0), coalesce(sum(cache_write_tokens), 0),
		coalesce(sum(latency_ms), 0), count(latency_ms),
		count(total_cost), sum(input_cost), sum(output_cost), sum(total_cost),
		count(*) FILTER (WHERE total_cost IS NULL AND ` + hasTokensSQL + `)
		FROM calls` + where + " GROUP BY " + groupKeys + " ORDER BY " + orderKeys
	var out []StatsRow
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL jit = "+statsJIT); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, sql, statsExecMode, args)
		if err != nil {
			return err
		}
		out, err = collectStats(rows, f.GroupBy)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	return out, nil
}

// statsExecMode sends the statistics as an unnamed statement, parsed and
// planned at each execution: PostgreSQL plans it for the period and
// filters given (a custom plan). A cached prepared statement would switch
// to one generic plan from its sixth execution on a connection, which
// misjudges how many calls the period holds and is much slower (measured
// in docs/benchmarks.md). Results come in the text format in this mode.
const statsExecMode = pgx.QueryExecModeExec

// statsJIT is the jit setting of the statistics' transaction: compiling
// the aggregation costs more than it saves over a million calls
// (docs/benchmarks.md).
const statsJIT = "off"

// ErrSumOverflow is returned by Stats when a group's token sum does not fit
// an int64: a sum is exact or an error, never wrapped around.
var ErrSumOverflow = errors.New("sum out of int64 range")

// addInt64 returns a + b, and false when it does not fit an int64.
func addInt64(a, b int64) (int64, bool) {
	s := a + b
	return s, (b >= 0) == (s >= a)
}

// collectStats folds the rows of the statistics query (one per group and
// currency, in group order) into one StatsRow per group.
func collectStats(rows pgx.Rows, groupBy string) ([]StatsRow, error) {
	var (
		out                        []StatsRow
		lat                        []latency // per group of out
		provider, model, currency  *string
		day                        time.Time
		r                          StatsRow
		latencySum                 float64
		latencyN, priced, unpriced int64
		in, outCost, total         pgtype.Numeric
	)
	targets := []any{}
	switch groupBy {
	case GroupByProvider:
		targets = append(targets, &provider)
	case GroupByModel:
		targets = append(targets, &provider, &model)
	case GroupByDay:
		targets = append(targets, &day)
	}
	targets = append(targets, &currency, &r.Calls, &r.Success, &r.Errors, &r.Abandoned, &r.Pending,
		&r.PromptTokens, &r.CompletionTokens, &r.TotalTokens, &r.CachedTokens, &r.ReasoningTokens, &r.CacheWriteTokens,
		&latencySum, &latencyN, &priced, &in, &outCost, &total, &unpriced)
	_, err := pgx.ForEachRow(rows, targets, func() error {
		key := StatsRow{Provider: str(provider), Model: str(model)}
		if groupBy == GroupByDay {
			key.Day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
		}
		if n := len(out); n == 0 || !sameGroup(out[n-1], key) {
			out = append(out, key)
			lat = append(lat, latency{})
		}
		g := &out[len(out)-1]
		g.Calls += r.Calls
		g.Success += r.Success
		g.Errors += r.Errors
		g.Abandoned += r.Abandoned
		g.Pending += r.Pending
		// One row per currency: each sum fits an int64 (else the scan
		// fails), the group's may not, and is an error rather than wrapped.
		for _, s := range [...]struct {
			sum *int64
			n   int64
		}{
			{&g.PromptTokens, r.PromptTokens}, {&g.CompletionTokens, r.CompletionTokens}, {&g.TotalTokens, r.TotalTokens},
			{&g.CachedTokens, r.CachedTokens}, {&g.ReasoningTokens, r.ReasoningTokens}, {&g.CacheWriteTokens, r.CacheWriteTokens},
		} {
			sum, ok := addInt64(*s.sum, s.n)
			if !ok {
				return fmt.Errorf("token sum of %s %s %s: %w", key.Provider, key.Model, key.Day.Format(time.DateOnly), ErrSumOverflow)
			}
			*s.sum = sum
		}
		g.Unpriced += unpriced
		l := &lat[len(out)-1]
		l.sum += latencySum
		l.n += latencyN
		if l.n > 0 {
			g.AvgLatencyMS = l.sum / float64(l.n)
		}
		if priced == 0 {
			return nil
		}
		cc := CurrencyCost{Currency: str(currency), Calls: priced}
		for _, p := range []struct {
			dst *decimal.Decimal
			src pgtype.Numeric
		}{{&cc.InputCost, in}, {&cc.OutputCost, outCost}, {&cc.TotalCost, total}} {
			d, err := toDecimal(p.src)
			if err != nil {
				return err
			}
			if d != nil {
				*p.dst = *d
			}
		}
		g.Costs = append(g.Costs, cc)
		return nil
	})
	return out, err
}

// latency sums the latencies of a group, for its mean.
type latency struct {
	sum float64
	n   int64
}

func sameGroup(a, b StatsRow) bool {
	return a.Provider == b.Provider && a.Model == b.Model && a.Day.Equal(b.Day)
}
