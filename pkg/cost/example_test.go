package cost_test

import (
	"fmt"
	"time"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/parse"
)

// The issue's example: prices from the seed's variables (here a map; in
// main, os.LookupEnv and os.Environ()).
func ExamplePricer_Cost() {
	vars := map[string]string{"DEEPSEEK_INPUT_PRICE": "0.002", "DEEPSEEK_OUTPUT_PRICE": "0.003", "COST_CURRENCY": "CNY"}
	p, err := cost.NewPricer(cost.Options{Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	if err != nil {
		fmt.Println(err)
		return
	}
	prompt, completion := int64(1000), int64(500)
	info := p.Cost("deepseek", "deepseek-chat", time.Date(2025, 10, 1, 3, 0, 0, 0, time.UTC),
		parse.Usage{PromptTokens: &prompt, CompletionTokens: &completion}, nil)
	fmt.Println(info.InputCost, info.OutputCost, info.TotalCost, info.Currency, info.PricingSource)
	fmt.Println(info.TotalCost.StringFixed(cost.Scale))
	// Output:
	// 0.002 0.0015 0.0035 CNY environment_variable
	// 0.003500000000
}

// An unpriced model gets no cost at all, never a zero.
func ExamplePricer_Cost_notFound() {
	p, _ := cost.NewPricer(cost.Options{})
	prompt, completion := int64(1000), int64(500)
	info := p.Cost("acme", "acme-large", time.Date(2025, 10, 1, 3, 0, 0, 0, time.UTC),
		parse.Usage{PromptTokens: &prompt, CompletionTokens: &completion}, nil)
	fmt.Println(info.TotalCost == nil, info.PricingSource)
	// Output:
	// true not_found
}
