package store

import (
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
// GroupByModel), sorted by day or by provider and model.
func Aggregate(calls []record.Call, groupBy string) []StatsRow {
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
			r.PromptTokens += deref(u.PromptTokens)
			r.CompletionTokens += deref(u.CompletionTokens)
			r.TotalTokens += deref(u.TotalTokens)
		}
		if ci := c.Cost; ci != nil {
			if ci.TotalCost != nil {
				r.Cost[ci.Currency] = r.Cost[ci.Currency].Add(*ci.TotalCost)
			} else if ci.PricingSource == "not_found" && c.Usage != nil && !c.Usage.UsageMissing {
				r.Unpriced++
			}
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
	return out
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
