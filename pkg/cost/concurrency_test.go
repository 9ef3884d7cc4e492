package cost

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/harborai/ingest/pkg/event"
)

// TestCustomPricingIsPerCall prices one call with custom pricing while
// thousands of goroutines price other calls through the same Pricer: none
// of them sees the custom price, and the Pricer is unchanged afterwards
// (SPEC §14.5). Run with -race.
func TestCustomPricingIsPerCall(t *testing.T) {
	p := newPricer(t, Options{})
	const n = 4000
	const special = n / 2
	custom := &event.CustomPricing{InputPrice: "9", OutputPrice: "9", CachedInputPrice: "9", Currency: "USD"}
	at := day("2025-10-01T03:00:00Z")
	results := make([]Info, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var c *event.CustomPricing
			if i == special {
				c = custom
			}
			results[i] = p.Cost("openai", "gpt-4o", at, usage(1000, 200, 400, -1, -1), c)
		}()
	}
	close(start)
	wg.Wait()
	for i, got := range results {
		want := struct{ source, in, total string }{SourceDefaultConfig, "0.002", "0.004"}
		if i == special {
			// 1000*9 / 1000, 200*9 / 1000
			want = struct{ source, in, total string }{SourceAPIParameter, "9", "10.8"}
		}
		if got.PricingSource != want.source || !sameDecimal(got.InputCost, want.in) || !sameDecimal(got.TotalCost, want.total) {
			t.Fatalf("Cost(call %d) = %s in %s total %s, want %s in %s total %s",
				i, got.PricingSource, str(got.InputCost), str(got.TotalCost), want.source, want.in, want.total)
		}
	}
	after := p.Cost("openai", "gpt-4o", at, usage(1000, 200, 400, -1, -1), nil)
	if after.PricingSource != SourceDefaultConfig || !sameDecimal(after.InputCost, "0.002") {
		t.Errorf("Cost(after the custom call) = %s %s, want default_config 0.002", after.PricingSource, str(after.InputCost))
	}
}

// TestManyCustomPrices gives every tenth concurrent call its own custom
// price: each sees exactly its own.
func TestManyCustomPrices(t *testing.T) {
	p := newPricer(t, Options{})
	const n = 2000
	at := day("2025-10-01T03:00:00Z")
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *event.CustomPricing
			want := "0.0025" // gpt-4o from the table: 1000*2.5 / 1M
			if i%10 == 0 {
				price := json.Number(fmt.Sprintf("0.%04d", i))
				c = &event.CustomPricing{InputPrice: price, OutputPrice: price, Currency: "USD"}
				want = price.String() // 1000 tokens at a per-1,000 price
			}
			got := p.Cost("openai", "gpt-4o", at, usage(1000, 0, 0, -1, -1), c)
			if !sameDecimal(got.InputCost, want) {
				errs <- fmt.Sprintf("Cost(call %d) input_cost = %s, want %s", i, str(got.InputCost), want)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestPricerSharesNoMemory checks that editing a returned Info, or the
// prices a Pricer was built from, does not change later prices.
func TestPricerSharesNoMemory(t *testing.T) {
	table := testTable()
	p := newPricer(t, Options{Table: table})
	at := day("2025-10-01T03:00:00Z")
	first := p.Cost("openai", "gpt-4o", at, usage(1000, 200, 400, -1, -1), nil)
	*first.InputPrice = dec("999")
	*first.CachedInputPrice = dec("999")
	table[0].Input = dec("999")
	*table[0].CachedInput = dec("999")
	got := p.Cost("openai", "gpt-4o", at, usage(1000, 200, 400, -1, -1), nil)
	if !sameDecimal(got.InputPrice, "2.5") || !sameDecimal(got.CachedInputPrice, "1.25") || !sameDecimal(got.InputCost, "0.002") {
		t.Errorf("Cost() after edits = prices %s/%s cost %s, want 2.5/1.25 cost 0.002",
			str(got.InputPrice), str(got.CachedInputPrice), str(got.InputCost))
	}
}
