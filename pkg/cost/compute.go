package cost

import (
	"fmt"
	"math"
	"math/bits"

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
	tokens, prices := [3]int64{prompt - cached - write, cached, write}, [3]decimal.Decimal{r.Input, cachedPrice, writePrice}
	if in, out, ok := fastAmounts(tokens, prices, completion, r.Output, unit); ok {
		return in, out, nil
	}
	in, out = decimalAmounts(tokens, prices, completion, r.Output, unit)
	return in, out, nil
}

// decimalAmounts is amounts in decimal arithmetic: input tokens[i] at
// prices[i], completion tokens at output, per unit.
func decimalAmounts(tokens [3]int64, prices [3]decimal.Decimal, completion int64, output decimal.Decimal, unit int64) (in, out decimal.Decimal) {
	num := decimal.NewFromInt(tokens[0]).Mul(prices[0]).
		Add(decimal.NewFromInt(tokens[1]).Mul(prices[1])).
		Add(decimal.NewFromInt(tokens[2]).Mul(prices[2]))
	return roundCost(num, unit), roundCost(decimal.NewFromInt(completion).Mul(output), unit)
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

// fastAmounts is decimalAmounts in 128-bit integer arithmetic, for the usual
// prices (at most 18 significant digits) and counts: the same results,
// exactly, without the big.Int allocations of decimal arithmetic
// (TestFastAmountsMatchDecimal, FuzzFastAmounts). It reports false when a
// value does not fit, and amounts then computes with decimals.
func fastAmounts(tokens [3]int64, prices [3]decimal.Decimal, completion int64, output decimal.Decimal, unit int64) (in, out decimal.Decimal, ok bool) {
	if unit <= 0 || completion < 0 || min(tokens[0], tokens[1], tokens[2]) < 0 {
		return in, out, false
	}
	var c [3]uint64
	var e [3]int32
	for i, p := range prices {
		if c[i], e[i], ok = smallDecimal(p); !ok {
			return in, out, false
		}
	}
	emin := min(e[0], e[1], e[2])
	var hi, lo uint64
	for i := range tokens {
		m, ok := scaleUp(c[i], e[i]-emin)
		if !ok {
			return in, out, false
		}
		th, tl := bits.Mul64(uint64(tokens[i]), m)
		var carry uint64
		lo, carry = bits.Add64(lo, tl, 0)
		hi, carry = bits.Add64(hi, th, carry)
		if carry != 0 {
			return in, out, false
		}
	}
	if in, ok = fastRound(hi, lo, emin, unit); !ok {
		return in, out, false
	}
	oc, oe, ok := smallDecimal(output)
	if !ok {
		return in, out, false
	}
	hi, lo = bits.Mul64(uint64(completion), oc)
	out, ok = fastRound(hi, lo, oe, unit)
	return in, out, ok
}

// smallDecimal returns d as c*10^e when d is not negative and c fits in 18
// digits.
func smallDecimal(d decimal.Decimal) (c uint64, e int32, ok bool) {
	if d.Sign() < 0 || d.NumDigits() > 18 {
		return 0, 0, false
	}
	return uint64(d.CoefficientInt64()), d.Exponent(), true
}

// scaleUp returns c*10^k, or false when it does not fit in 64 bits.
func scaleUp(c uint64, k int32) (uint64, bool) {
	if k < 0 || k > 19 {
		return 0, false
	}
	h, l := bits.Mul64(c, pow10[k])
	return l, h == 0
}

// fastRound is roundCost of the non-negative num = (hi, lo)*10^exp: num/unit
// rounded half up to Scale places, 10^-Scale when a positive amount rounds
// to zero.
func fastRound(hi, lo uint64, exp int32, unit int64) (decimal.Decimal, bool) {
	den := uint64(unit)
	switch shift := exp + Scale; {
	case shift >= 0:
		if shift > 19 {
			return decimal.Decimal{}, false
		}
		h1, l1 := bits.Mul64(lo, pow10[shift])
		h2, l2 := bits.Mul64(hi, pow10[shift])
		var carry uint64
		if hi, carry = bits.Add64(h1, l2, 0); h2 != 0 || carry != 0 {
			return decimal.Decimal{}, false
		}
		lo = l1
	default:
		if -shift > 19 {
			return decimal.Decimal{}, false
		}
		h, l := bits.Mul64(den, pow10[-shift])
		if h != 0 {
			return decimal.Decimal{}, false
		}
		den = l
	}
	if hi >= den {
		return decimal.Decimal{}, false // the quotient needs more than 64 bits
	}
	q, r := bits.Div64(hi, lo, den)
	if r >= den-r {
		q++
	}
	if q == 0 && (hi != 0 || lo != 0) {
		q = 1
	}
	if q > math.MaxInt64 {
		return decimal.Decimal{}, false
	}
	return decimal.New(int64(q), -Scale), true
}

// pow10 holds 10^0 .. 10^19, the powers of ten that fit in 64 bits.
var pow10 = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

func valueOr0(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
