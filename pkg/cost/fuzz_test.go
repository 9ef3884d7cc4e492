package cost

import (
	"encoding/json"
	"math/big"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
)

// FuzzCost checks, for any usage and any custom prices, that a priced call
// has total_cost == input_cost + output_cost exactly, that each cost has at
// most Scale decimal places and is within half a unit of the last place of
// the exact rational cost (or is the 10^-Scale floor of a positive cost),
// and that nothing panics.
func FuzzCost(f *testing.F) {
	f.Add(int64(1000), int64(500), int64(0), int64(0), "0.002", "0.003", "")
	f.Add(int64(1), int64(1), int64(0), int64(0), "0.0000000001", "0.0000000025", "")
	f.Add(int64(3100), int64(500), int64(2000), int64(1000), "0.003", "0.015", "0.0003")
	f.Add(int64(1<<62), int64(1<<62), int64(1<<61), int64(1<<60), "123456.789", "0.1", "1e-30")
	f.Add(int64(10), int64(0), int64(20), int64(0), "1", "1", "")
	p := newPricer(f, Options{})
	f.Fuzz(func(t *testing.T, prompt, completion, cached, write int64, in, out, cachedPrice string) {
		u := parse.Usage{PromptTokens: &prompt, CompletionTokens: &completion, CachedTokens: &cached, CacheWriteTokens: &write}
		custom := &event.CustomPricing{InputPrice: json.Number(in), OutputPrice: json.Number(out),
			CachedInputPrice: json.Number(cachedPrice), Currency: "USD"}
		got := p.Cost("openai", "gpt-4o", day("2025-10-01"), u, custom)
		if got.TotalCost == nil {
			if got.InputCost != nil || got.OutputCost != nil {
				t.Fatalf("Cost() = in %s out %s total nil, want all nil or all set", str(got.InputCost), str(got.OutputCost))
			}
			return
		}
		if !got.TotalCost.Equal(got.InputCost.Add(*got.OutputCost)) {
			t.Fatalf("Cost() total %v != input %v + output %v", got.TotalCost, got.InputCost, got.OutputCost)
		}
		price, err := CustomPrice(custom, "USD")
		if err != nil {
			t.Fatalf("Cost() priced a call whose CustomPrice fails: %v", err)
		}
		cp := price.Input
		if price.CachedInput != nil {
			cp = *price.CachedInput
		}
		exactIn := new(big.Rat).Add(
			new(big.Rat).Mul(ratInt(prompt-cached-write), price.Input.Rat()),
			new(big.Rat).Add(new(big.Rat).Mul(ratInt(cached), cp.Rat()), new(big.Rat).Mul(ratInt(write), price.Input.Rat())))
		exactIn.Quo(exactIn, ratInt(price.Unit))
		exactOut := new(big.Rat).Quo(new(big.Rat).Mul(ratInt(completion), price.Output.Rat()), ratInt(price.Unit))
		checkRounded(t, "input_cost", *got.InputCost, exactIn)
		checkRounded(t, "output_cost", *got.OutputCost, exactOut)
	})
}

func ratInt(v int64) *big.Rat { return new(big.Rat).SetInt64(v) }

// checkRounded checks that c has at most Scale places and is the exact
// amount rounded to them (within half of 10^-Scale), or the 10^-Scale floor
// of a positive amount.
func checkRounded(t *testing.T, field string, c decimal.Decimal, exact *big.Rat) {
	t.Helper()
	if !c.Equal(c.Truncate(Scale)) {
		t.Fatalf("%s = %v, want at most %d decimal places", field, c, Scale)
	}
	if c.IsNegative() || exact.Sign() < 0 {
		t.Fatalf("%s = %v (exact %v), want non-negative", field, c, exact.FloatString(20))
	}
	if exact.Sign() > 0 && c.IsZero() {
		t.Fatalf("%s = 0 for exact %v, want a positive cost", field, exact.FloatString(20))
	}
	halfUnit := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Mul(big.NewInt(2), new(big.Int).Exp(big.NewInt(10), big.NewInt(Scale), nil)))
	diff := new(big.Rat).Sub(c.Rat(), exact)
	if diff.Abs(diff).Cmp(halfUnit) > 0 && !c.Equal(decimal.New(1, -Scale)) {
		t.Fatalf("%s = %v, exact %v: off by more than half of 10^-%d", field, c, exact.FloatString(20), Scale)
	}
}
