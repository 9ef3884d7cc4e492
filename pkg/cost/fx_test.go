package cost

import (
	"errors"
	"slices"
	"testing"

	"github.com/shopspring/decimal"
)

func TestLoadFX(t *testing.T) {
	fx, err := LoadFX(env(map[string]string{"HARBORAI_FX_USD_CNY": "7.1", "HARBORAI_FX_EUR_USD": ""}))
	if err != nil {
		t.Fatalf("LoadFX() error = %v", err)
	}
	if len(fx) != 1 || !fx[[2]string{"USD", "CNY"}].Equal(dec("7.1")) {
		t.Errorf("LoadFX() = %v, want {USD->CNY: 7.1}", fx)
	}
	_, err = LoadFX(env(map[string]string{"HARBORAI_FX_USD_CNY": "0", "HARBORAI_FX_CNY_USD": "abc"}))
	names := variableNames(err)
	slices.Sort(names)
	if !errors.Is(err, ErrInvalidPrice) || !slices.Equal(names, []string{"HARBORAI_FX_CNY_USD", "HARBORAI_FX_USD_CNY"}) {
		t.Errorf("LoadFX(bad rates) error = %v, want both variables named", err)
	}
}

func TestFXConvert(t *testing.T) {
	fx := FX{{"USD", "CNY"}: dec("7.1")}
	tests := []struct {
		amount, from, to string
		want             string // "" = ErrNoRate
	}{
		{"0.0035", "CNY", "CNY", "0.0035"},
		{"2", "USD", "CNY", "14.2"},
		{"7.1", "CNY", "USD", "1"},
		{"1", "CNY", "USD", "0.140845070423"}, // 1/7.1 rounded half away from zero to 12 places
		{"1", "EUR", "CNY", ""},
	}
	for _, tt := range tests {
		got, err := fx.Convert(dec(tt.amount), tt.from, tt.to)
		if tt.want == "" {
			if !errors.Is(err, ErrNoRate) {
				t.Errorf("Convert(%s %s -> %s) = %v, %v, want ErrNoRate", tt.amount, tt.from, tt.to, got, err)
			}
			continue
		}
		if err != nil || !got.Equal(dec(tt.want)) {
			t.Errorf("Convert(%s %s -> %s) = %v, %v, want %s", tt.amount, tt.from, tt.to, got, err, tt.want)
		}
	}
}

// TestTotals checks that statistics keep currencies apart and convert
// only with a configured rate.
func TestTotals(t *testing.T) {
	p := newPricer(t, Options{})
	at := day("2025-10-01T03:00:00Z")
	totals := Totals{}
	for _, info := range []Info{
		p.Cost("deepseek", "deepseek-chat", at, usage(10000, 1000, 8000, -1, -1), nil), // 0.0086 CNY
		p.Cost("openai", "gpt-4o", at, usage(1000, 200, 400, -1, -1), nil),             // 0.004 USD
		p.Cost("openai", "gpt-4o", at, usage(1000, 200, 400, -1, -1), nil),             // 0.004 USD
	} {
		if !totals.Add(info) {
			t.Fatalf("Totals.Add(%v) = false, want true", info.PricingSource)
		}
	}
	if totals.Add(p.Cost("acme", "x", at, usage(1, 1, -1, -1, -1), nil)) {
		t.Errorf("Totals.Add(unpriced call) = true, want false")
	}
	if !totals["CNY"].Equal(dec("0.0086")) || !totals["USD"].Equal(dec("0.008")) || len(totals) != 2 {
		t.Errorf("Totals = %v, want CNY 0.0086 and USD 0.008", totals)
	}
	if _, err := totals.In("CNY", FX{}); !errors.Is(err, ErrNoRate) {
		t.Errorf("Totals.In(CNY, no rates) error = %v, want ErrNoRate", err)
	}
	got, err := totals.In("CNY", FX{{"USD", "CNY"}: dec("7.1")})
	if want := decimal.RequireFromString("0.0654"); err != nil || !got.Equal(want) { // 0.0086 + 0.008*7.1
		t.Errorf("Totals.In(CNY) = %v, %v, want %v", got, err, want)
	}
}
