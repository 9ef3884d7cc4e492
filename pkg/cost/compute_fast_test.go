package cost

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

// sameAmounts fails t unless fastAmounts, when it answers, gives exactly
// decimalAmounts's results: the same values with the same exponents.
func sameAmounts(t *testing.T, tokens [3]int64, prices [3]decimal.Decimal, completion int64, output decimal.Decimal, unit int64) bool {
	t.Helper()
	in, out, ok := fastAmounts(tokens, prices, completion, output, unit)
	if !ok {
		return false
	}
	win, wout := decimalAmounts(tokens, prices, completion, output, unit)
	if in.String() != win.String() || in.Exponent() != win.Exponent() || out.String() != wout.String() || out.Exponent() != wout.Exponent() {
		t.Fatalf("tokens %v at %v, completion %d at %s, per %d: fast %s / %s, decimal %s / %s",
			tokens, prices, completion, output, unit, in, out, win, wout)
	}
	return true
}

func TestFastAmountsMatchDecimal(t *testing.T) {
	d := decimal.RequireFromString
	// Edges: halves, the zero rule, limits of the fast path.
	edges := []struct {
		tokens     [3]int64
		prices     [3]string
		completion int64
		output     string
		unit       int64
		fast       bool
	}{
		{[3]int64{1000, 400, 0}, [3]string{"2.5", "1.25", "2.5"}, 200, "10", 1_000_000, true},
		{[3]int64{1, 0, 0}, [3]string{"0.0000005", "0", "0"}, 1, "0.0000015", 1_000_000, true},                  // rounds to zero: 1e-12
		{[3]int64{1, 0, 0}, [3]string{"0.5", "0", "0"}, 1, "1.5", 1_000_000_000_000, true},                      // exactly half
		{[3]int64{0, 0, 0}, [3]string{"2.5", "1.25", "3.125"}, 0, "10", 1_000_000, true},                        // nothing
		{[3]int64{math.MaxInt64, 0, 0}, [3]string{"15", "7.5", "18.75"}, math.MaxInt64, "75", 1_000_000, false}, // too large
		{[3]int64{5, 6, 7}, [3]string{"123456789012345678.9", "1", "1"}, 1, "1", 1000, false},                   // 19 digits
		{[3]int64{5, 6, 7}, [3]string{"1e-30", "1", "1"}, 1, "1e25", 1000, false},                               // exponents apart
		{[3]int64{12345, 678, 9}, [3]string{"0.000150", "0.0000375", "0.00018750"}, 4321, "0.0006", 1000, true},
		{[3]int64{-5, 6, 7}, [3]string{"2.5", "1.25", "3.125"}, 1, "10", 1_000_000, false}, // never called so; refused
		{[3]int64{5, 6, 7}, [3]string{"2.5", "1.25", "3.125"}, -1, "10", 1_000_000, false},
	}
	for _, e := range edges {
		prices := [3]decimal.Decimal{d(e.prices[0]), d(e.prices[1]), d(e.prices[2])}
		if got := sameAmounts(t, e.tokens, prices, e.completion, d(e.output), e.unit); got != e.fast {
			t.Errorf("tokens %v at %v: fast path taken = %v, want %v", e.tokens, e.prices, got, e.fast)
		}
	}
	r := rand.New(rand.NewPCG(7, 26))
	units := []int64{1, 1000, 1_000_000, 1_000_000_000}
	// Any values: both answer the same, when the fast path answers.
	wild := func() decimal.Decimal { return decimal.New(r.Int64N(1<<uint(r.IntN(63))), -int32(r.IntN(25))) }
	for range 100_000 {
		tokens := [3]int64{r.Int64N(1 << uint(r.IntN(63))), r.Int64N(1 << uint(r.IntN(40))), r.Int64N(1 << uint(r.IntN(40)))}
		sameAmounts(t, tokens, [3]decimal.Decimal{wild(), wild(), wild()}, r.Int64N(1<<uint(r.IntN(63))), wild(), units[r.IntN(len(units))])
	}
	// Real prices (up to 100 per unit, 6 significant digits, units of 1,000
	// tokens and more) and counts up to 2^24 per call: the fast path answers
	// them all.
	units = units[1:]
	price := func() decimal.Decimal { return decimal.New(r.Int64N(1_000_000), -int32(4+r.IntN(5))) }
	for range 100_000 {
		tokens := [3]int64{r.Int64N(1 << 24), r.Int64N(1 << 22), r.Int64N(1 << 22)}
		prices := [3]decimal.Decimal{price(), price(), price()}
		completion, output, unit := r.Int64N(1<<24), price(), units[r.IntN(len(units))]
		if !sameAmounts(t, tokens, prices, completion, output, unit) {
			t.Fatalf("tokens %v at %v, completion %d at %s, per %d: the fast path did not answer", tokens, prices, completion, output, unit)
		}
	}
}

// FuzzFastAmounts: for any counts and prices, fastAmounts answers exactly as
// decimal arithmetic does, or not at all. Run with
//
//	go test -run='^$' -fuzz=FuzzFastAmounts -fuzztime=1m ./pkg/cost
func FuzzFastAmounts(f *testing.F) {
	f.Add(int64(1000), int64(400), int64(0), int64(200), int64(25), int32(-1), int64(125), int32(-2), int64(10), int32(0), int64(1_000_000))
	f.Add(int64(1), int64(0), int64(0), int64(1), int64(5), int32(-7), int64(0), int32(0), int64(15), int32(-7), int64(1_000_000))
	f.Fuzz(func(t *testing.T, a, b, c, completion, ic int64, ie int32, cc int64, ce int32, oc int64, oe int32, unit int64) {
		if a < 0 || b < 0 || c < 0 || completion < 0 || ic < 0 || cc < 0 || oc < 0 || unit <= 0 ||
			ie < -40 || ie > 40 || ce < -40 || ce > 40 || oe < -40 || oe > 40 {
			return
		}
		prices := [3]decimal.Decimal{decimal.New(ic, ie), decimal.New(cc, ce), decimal.New(ic, ie)}
		sameAmounts(t, [3]int64{a, b, c}, prices, completion, decimal.New(oc, oe), unit)
	})
}
