package pricing

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/parse"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func dec(s string) *decimal.Decimal {
	d := decimal.RequireFromString(s)
	return &d
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// price is a dynamic price entry per 1,000 tokens in CNY.
func price(id int64, provider, model, in, out string, from time.Time) Entry {
	return Entry{ID: id, Provider: provider, Model: model, Currency: "CNY", Unit: 1000,
		Input: dec(in), Output: dec(out), EffectiveFrom: from, SetAt: from}
}

// tombstone is a pricing unset entry.
func tombstone(id int64, provider, model string, from time.Time) Entry {
	return Entry{ID: id, Provider: provider, Model: model, EffectiveFrom: from, Removed: true, SetAt: from}
}

// testTable is a small default_config table: deepseek-chat and gpt-4o.
func testTable() []cost.Price {
	return []cost.Price{
		{Provider: "deepseek", Model: "deepseek-chat", Currency: "CNY", Unit: 1_000_000,
			Rates:         cost.Rates{Input: decimal.RequireFromString("2"), Output: decimal.RequireFromString("8")},
			EffectiveFrom: day("2025-01-01"), Source: "https://example.com/deepseek"},
		{Provider: "openai", Model: "gpt-4o", Currency: "USD", Unit: 1_000_000,
			Rates:         cost.Rates{Input: decimal.RequireFromString("2.5"), Output: decimal.RequireFromString("10")},
			EffectiveFrom: day("2024-05-13"), Source: "https://example.com/openai"},
	}
}

// env is a lookup over a map.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// usage is prompt and completion tokens.
func usage(prompt, completion int64) parse.Usage {
	return parse.Usage{PromptTokens: &prompt, CompletionTokens: &completion}
}

// costText renders what a call is charged: "0.002 CNY dynamic".
func costText(k cost.Info) string {
	if k.TotalCost == nil {
		return "null " + k.PricingSource
	}
	return k.InputCost.String() + "+" + k.OutputCost.String() + "=" + k.TotalCost.String() + " " + k.Currency + " " + k.PricingSource
}
