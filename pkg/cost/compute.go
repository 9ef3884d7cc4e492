package cost

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/parse"
)

// Scale is the number of decimal places input_cost and output_cost are
// rounded to (SPEC §5 asks for at least 10). Store them in a column of this
// scale, e.g. NUMERIC(30, 12), so the stored values are the computed ones.
const Scale = 12

// amounts computes the input and output cost of usage u at rates r, per unit
// tokens:
//
//	input  = ((prompt - cached - cache_write) * r.Input
//	          + cached * cached price + cache_write * cache-write price) / unit
//	output = completion * r.Output / unit
//
// where a missing cached or cache-write price is the input price. Reasoning
// tokens are part of completion and so billed at the output price. Each
// amount is computed exactly and then rounded by roundCost.
func amounts(u parse.Usage, r Rates, unit int64) (in, out decimal.Decimal, err error) {
	prompt, completion := *u.PromptTokens, *u.CompletionTokens
	cached, write := valueOr0(u.CachedTokens), valueOr0(u.CacheWriteTokens)
	if prompt < 0 || completion < 0 || cached < 0 || write < 0 {
		return in, out, fmt.Errorf("negative token count in usage (prompt %d, completion %d, cached %d, cache_write %d)",
			prompt, completion, cached, write)
	}
	if cached > prompt || write > prompt-cached {
		return in, out, fmt.Errorf("cached (%d) and cache_write (%d) tokens exceed prompt tokens (%d)", cached, write, prompt)
	}
	cachedPrice, writePrice := r.Input, r.Input
	if r.CachedInput != nil {
		cachedPrice = *r.CachedInput
	}
	if r.CacheWrite != nil {
		writePrice = *r.CacheWrite
	}
	num := decimal.NewFromInt(prompt - cached - write).Mul(r.Input).
		Add(decimal.NewFromInt(cached).Mul(cachedPrice)).
		Add(decimal.NewFromInt(write).Mul(writePrice))
	in = roundCost(num, unit)
	out = roundCost(decimal.NewFromInt(completion).Mul(r.Output), unit)
	return in, out, nil
}

// roundCost returns num/unit rounded half away from zero to Scale decimal
// places, the exact quotient deciding (no intermediate rounding). A positive
// amount that would round to zero becomes 10^-Scale: a priced call never
// shows a zero cost unless its price is zero.
func roundCost(num decimal.Decimal, unit int64) decimal.Decimal {
	c := num.DivRound(decimal.NewFromInt(unit), Scale)
	if c.IsZero() && num.IsPositive() {
		return decimal.New(1, -Scale)
	}
	return c
}

func valueOr0(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
