package store

import (
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/record"
)

// StatsRow aggregates the calls of one group: a provider and model, a
// provider, or a UTC day (the other fields empty). Costs are kept per
// currency: currencies are never added together. Token sums are exact,
// beyond int64 too (Overflowed names those).
type StatsRow struct {
	Day              string                     `json:"day,omitempty"` // YYYY-MM-DD, UTC
	Provider         string                     `json:"provider"`
	Model            string                     `json:"model"`
	Calls            int64                      `json:"calls"`
	Errors           int64                      `json:"errors"`
	Pending          int64                      `json:"pending"`
	PromptTokens     Tokens                     `json:"prompt_tokens"`
	CompletionTokens Tokens                     `json:"completion_tokens"`
	TotalTokens      Tokens                     `json:"total_tokens"`
	Cost             map[string]decimal.Decimal `json:"cost"`
	Unpriced         int64                      `json:"unpriced"`
}

// Tokens is an exact sum of token counts. It is an int64 until a sum goes
// beyond one (a vendor reporting an absurd count), and is never wrapped
// around; JSON holds it as a number, however large.
type Tokens struct {
	n   int64
	big *big.Int // set once the sum left int64's range; never modified after the sum is done
}

// TokensOf returns n as Tokens.
func TokensOf(n int64) Tokens { return Tokens{n: n} }

// add adds n.
func (t *Tokens) add(n int64) {
	if t.big == nil {
		s := t.n + n
		if (n > 0 && s > t.n) || (n <= 0 && s <= t.n) {
			t.n = s
			return
		}
		t.big = big.NewInt(t.n)
	}
	t.big = new(big.Int).Add(t.big, big.NewInt(n))
}

// Int64 returns the sum and whether it fits an int64.
func (t Tokens) Int64() (int64, bool) {
	if t.big != nil && !t.big.IsInt64() {
		return 0, false
	}
	if t.big != nil {
		return t.big.Int64(), true
	}
	return t.n, true
}

// Decimal returns the sum as a decimal.
func (t Tokens) Decimal() decimal.Decimal {
	if t.big != nil {
		return decimal.NewFromBigInt(t.big, 0)
	}
	return decimal.NewFromInt(t.n)
}

// String returns the sum in decimal digits.
func (t Tokens) String() string {
	if t.big != nil {
		return t.big.String()
	}
	return strconv.FormatInt(t.n, 10)
}

// MarshalJSON writes the sum as a JSON number.
func (t Tokens) MarshalJSON() ([]byte, error) { return []byte(t.String()), nil }

// Overflowed names the token sums of r (by their JSON names) that do not
// fit an int64.
func (r *StatsRow) Overflowed() []string {
	var out []string
	for _, s := range []struct {
		name string
		t    Tokens
	}{{"prompt_tokens", r.PromptTokens}, {"completion_tokens", r.CompletionTokens}, {"total_tokens", r.TotalTokens}} {
		if _, ok := s.t.Int64(); !ok {
			out = append(out, s.name)
		}
	}
	return out
}

// GroupName names r's group for messages: its day when grouped by day,
// else its provider and model quoted ("openai"/"gpt-4o"), or its provider.
func (r *StatsRow) GroupName() string {
	if r.Day != "" {
		return r.Day
	}
	if r.Model == "" {
		return fmt.Sprintf("%q", r.Provider)
	}
	return fmt.Sprintf("%q/%q", r.Provider, r.Model)
}

// Aggregate groups calls by groupBy (a GroupBy constant; "" is
// GroupByModel), sorted by day or by provider and model. The sums are
// exact: a token sum beyond int64 is kept exactly (Tokens), never wrapped
// around and never an error.
func Aggregate(calls []record.Call, groupBy string) []StatsRow {
	a := newAggregator(groupBy)
	for i := range calls {
		a.add(&calls[i])
	}
	return a.rows()
}

// aggregator sums calls into groups, one call at a time.
type aggregator struct {
	groupBy string
	groups  map[[3]string]*StatsRow
}

func newAggregator(groupBy string) *aggregator {
	return &aggregator{groupBy: groupBy, groups: map[[3]string]*StatsRow{}}
}

func (a *aggregator) add(c *record.Call) {
	var k [3]string
	switch a.groupBy {
	case GroupByProvider:
		k[0] = c.Provider
	case GroupByDay:
		k[2] = c.StartedAt.UTC().Format(time.DateOnly)
	default:
		k[0], k[1] = c.Provider, c.Model
	}
	r := a.groups[k]
	if r == nil {
		r = &StatsRow{Provider: k[0], Model: k[1], Day: k[2], Cost: map[string]decimal.Decimal{}}
		a.groups[k] = r
	}
	r.Calls++
	switch c.DisplayStatus() {
	case "error":
		r.Errors++
	case record.StatusPending:
		r.Pending++
	}
	if u := c.Usage; u != nil {
		r.PromptTokens.add(deref(u.PromptTokens))
		r.CompletionTokens.add(deref(u.CompletionTokens))
		r.TotalTokens.add(deref(u.TotalTokens))
	}
	if ci := c.Cost; ci != nil && ci.TotalCost != nil {
		r.Cost[ci.Currency] = r.Cost[ci.Currency].Add(*ci.TotalCost)
	} else if c.Unpriced() {
		r.Unpriced++
	}
}

// rows returns the groups in order: by day, then provider, then model.
func (a *aggregator) rows() []StatsRow {
	out := make([]StatsRow, 0, len(a.groups))
	for _, r := range a.groups {
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
