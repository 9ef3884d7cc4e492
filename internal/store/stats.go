package store

import (
	"sort"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/record"
)

// StatsRow aggregates calls of one provider and model. Costs are kept per
// currency: currencies are never added together.
type StatsRow struct {
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

// Aggregate groups calls by provider and model, sorted by provider, model.
func Aggregate(calls []record.Call) []StatsRow {
	rows := map[[2]string]*StatsRow{}
	for i := range calls {
		c := &calls[i]
		k := [2]string{c.Provider, c.Model}
		r := rows[k]
		if r == nil {
			r = &StatsRow{Provider: c.Provider, Model: c.Model, Cost: map[string]decimal.Decimal{}}
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
