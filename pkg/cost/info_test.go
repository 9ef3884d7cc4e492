package cost

import (
	"encoding/json"
	"testing"

	"github.com/shopspring/decimal"
)

// TestInfoJSONKeepsDecimalPlaces: an Info read back from its JSON has the
// same amounts to the decimal place, trailing zeros included, so PostgreSQL
// prints a cost loaded from a spooled call as it prints the cost stored
// directly.
func TestInfoJSONKeepsDecimalPlaces(t *testing.T) {
	d := func(s string) *decimal.Decimal { v := decimal.RequireFromString(s); return &v }
	in := Info{
		InputCost: d("0.000015000000"), OutputCost: d("0.000012000000"), TotalCost: d("0.000027000000"),
		Currency: "USD", PricingSource: SourceDefaultConfig, Unit: 1_000_000,
		InputPrice: d("2.50"), OutputPrice: d("10"), CacheWritePrice: d("1e2"),
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Info
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name      string
		got, want *decimal.Decimal
		text      string
	}{
		{"input_cost", out.InputCost, in.InputCost, "0.000015000000"},
		{"output_cost", out.OutputCost, in.OutputCost, "0.000012000000"},
		{"total_cost", out.TotalCost, in.TotalCost, "0.000027000000"},
		{"input_price", out.InputPrice, in.InputPrice, "2.50"},
		{"output_price", out.OutputPrice, in.OutputPrice, "10"},
		{"cache_write_price", out.CacheWritePrice, in.CacheWritePrice, "100"},
	} {
		if f.got == nil || !f.got.Equal(*f.want) || f.got.StringFixed(-min(f.got.Exponent(), 0)) != f.text {
			t.Errorf("%s read back as %v, want %s (JSON %s)", f.name, f.got, f.text, b)
		}
	}
	if out.CachedInputPrice != nil {
		t.Errorf("cached_input_price = %v, want none (JSON %s)", out.CachedInputPrice, b)
	}
	if in.PricingSource != out.PricingSource || in.Unit != out.Unit || in.Currency != out.Currency {
		t.Errorf("read back %+v, want %+v", out, in)
	}
	// No cost: null, as before.
	b, _ = json.Marshal(Info{PricingSource: SourceNotFound})
	if err := json.Unmarshal(b, &out); err != nil || out.TotalCost != nil {
		t.Errorf("Info without costs = %s, read back total %v (%v)", b, out.TotalCost, err)
	}
}
