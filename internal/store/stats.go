package store

import (
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/record"
)

// StatsRow aggregates the calls of one group: a provider and model, a
// provider, or a UTC day (the other fields empty). Costs are kept per
// currency: currencies are never added together.
type StatsRow struct {
	Day              string                     `json:"day,omitempty"` // YYYY-MM-DD, UTC
	Provider         string                     `json:"provider"`
	Model            string                     `json:"model"`
	Calls            int64                      `json:"calls"`
	Errors           int64                      `json:"errors"`
	Pending          int64                      `json:"pending"`
	PromptTokens     int64                      `json:"prompt_tokens"`
	CompletionTokens int64                      `json:"completion_tokens"`
	TotalTokens      int64                      `json:"total_tokens"`
	Cost             map[string]decimal.Decimal `json:"cost"`
	Unpriced         int64                      `json:"unpriced"`
}

// Aggregate groups calls by groupBy (a GroupBy constant; "" is
// GroupByModel), sorted by day or by provider and model. The sums are exact:
// a token sum beyond int64 fails with an error wrapping ErrOverflow, as
// PostgreSQL's store fails (its numeric sum does not fit the row's int64).
func Aggregate(calls []record.Call, groupBy string) ([]StatsRow, error) {
	rows := map[[3]string]*StatsRow{}
	for i := range calls {
		c := &calls[i]
		var k [3]string
		switch groupBy {
		case GroupByProvider:
			k[0] = c.Provider
		case GroupByDay:
			k[2] = c.StartedAt.UTC().Format(time.DateOnly)
		default:
			k[0], k[1] = c.Provider, c.Model
		}
		r := rows[k]
		if r == nil {
			r = &StatsRow{Provider: k[0], Model: k[1], Day: k[2], Cost: map[string]decimal.Decimal{}}
			rows[k] = r
		}
		r.Calls++
		switch c.DisplayStatus() {
		case "error":
			r.Errors++
		case record.StatusPending:
			r.Pending++
		}
		if u := c.Usage; u != nil {
			for _, s := range []struct {
				name string
				sum  *int64
				n    *int64
			}{
				{"prompt_tokens", &r.PromptTokens, u.PromptTokens},
				{"completion_tokens", &r.CompletionTokens, u.CompletionTokens},
				{"total_tokens", &r.TotalTokens, u.TotalTokens},
			} {
				if !addInt64(s.sum, deref(s.n)) {
					return nil, fmt.Errorf("stats of %s: sum of %s: %w", groupName(r), s.name, ErrOverflow)
				}
			}
		}
		if ci := c.Cost; ci != nil && ci.TotalCost != nil {
			r.Cost[ci.Currency] = r.Cost[ci.Currency].Add(*ci.TotalCost)
		} else if c.Unpriced() {
			r.Unpriced++
		}
	}
	out := make([]StatsRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Day != out[j].Day {
			return out[i].Day < out[j].Day
		}
		if out[i].Provider != out[j].Provider {
			return out[i].Provider < out[j].Provider
		}
		return out[i].Model < out[j].Model
	})
	return out, nil
}

// addInt64 adds n to *sum unless the result would not fit an int64.
func addInt64(sum *int64, n int64) bool {
	s := *sum + n
	if (n > 0 && s < *sum) || (n < 0 && s > *sum) {
		return false
	}
	*sum = s
	return true
}

// groupName names a group of StatsRow for messages.
func groupName(r *StatsRow) string {
	if r.Day != "" {
		return r.Day
	}
	if r.Model == "" {
		return fmt.Sprintf("%q", r.Provider)
	}
	return fmt.Sprintf("%q/%q", r.Provider, r.Model)
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
