package cost

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestBuiltinTable checks the embedded price file: every row parses and
// validates (non-negative prices, positive unit, known currency, source and
// effective date present, no duplicate (provider, model, effective date)),
// Chinese vendors price in CNY and the others in USD, and every source is a
// vendor's https page.
func TestBuiltinTable(t *testing.T) {
	prices, err := BuiltinTable()
	if err != nil {
		t.Fatalf("BuiltinTable() error = %v", err)
	}
	if len(prices) < 50 {
		t.Errorf("BuiltinTable() has %d rows, want the whole table (>= 50)", len(prices))
	}
	wantCurrency := map[string]string{
		"deepseek": "CNY", "qwen": "CNY", "doubao": "CNY", "wenxin": "CNY", "moonshot": "CNY", "zhipu": "CNY",
		"openai": "USD", "azure": "USD", "anthropic": "USD", "gemini": "USD",
	}
	seen := map[string]bool{}
	for _, p := range prices {
		name := p.Provider + "/" + p.Model + "@" + p.EffectiveFrom.Format("2006-01-02T15:04")
		if err := p.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v, want nil", name, err)
		}
		want, ok := wantCurrency[p.Provider]
		if !ok {
			t.Errorf("%s: provider %q is not one of pkg/parse's canonical providers", name, p.Provider)
		} else if p.Currency != want {
			t.Errorf("%s: currency = %s, want %s", name, p.Currency, want)
		}
		if !strings.HasPrefix(p.Source, "https://") {
			t.Errorf("%s: source = %q, want the vendor's pricing page URL", name, p.Source)
		}
		if p.Unit != 1_000_000 {
			t.Errorf("%s: unit = %d, want 1000000 (vendors list prices per 1M tokens)", name, p.Unit)
		}
		seen[p.Provider] = true
	}
	for provider := range wantCurrency {
		if !seen[provider] {
			t.Errorf("BuiltinTable() has no price for %s", provider)
		}
	}
}

// TestBuiltinTableIsFresh checks that BuiltinTable returns a new copy each
// time, so a caller editing its result cannot change another's.
func TestBuiltinTableIsFresh(t *testing.T) {
	a, err := BuiltinTable()
	if err != nil {
		t.Fatal(err)
	}
	a[0].Input = dec("12345")
	b, err := BuiltinTable()
	if err != nil {
		t.Fatal(err)
	}
	if b[0].Input.Equal(dec("12345")) {
		t.Errorf("BuiltinTable()[0].Input = %v after editing an earlier result, want the file's price", b[0].Input)
	}
}

func TestParseTableErrors(t *testing.T) {
	const ok = `"provider": "openai", "model": "gpt-4o", "currency": "USD", "unit": 1000000, "input": "2.5", "output": "10", "effective_from": "2024-10-02", "source": "https://openai.com/api/pricing/"`
	tests := []struct {
		name      string
		rows      string
		wantField string // in the error text
	}{
		{"negative input", `{"provider": "openai", "model": "gpt-4o", "currency": "USD", "unit": 1000000, "input": "-2.5", "output": "10", "effective_from": "2024-10-02", "source": "s"}`, "input"},
		{"not a number", `{"provider": "openai", "model": "gpt-4o", "currency": "USD", "unit": 1000000, "input": "2.5", "output": "ten", "effective_from": "2024-10-02", "source": "s"}`, "output"},
		{"float number", `{"provider": "openai", "model": "gpt-4o", "currency": "USD", "unit": 1000000, "input": 2.5, "output": "1e400000", "effective_from": "2024-10-02", "source": "s"}`, "output"},
		{"unknown currency", `{"provider": "openai", "model": "gpt-4o", "currency": "BTC", "unit": 1000000, "input": "2.5", "output": "10", "effective_from": "2024-10-02", "source": "s"}`, "currency"},
		{"RMB not canonical", `{"provider": "deepseek", "model": "deepseek-chat", "currency": "RMB", "unit": 1000000, "input": "2", "output": "8", "effective_from": "2025-02-09", "source": "s"}`, "currency"},
		{"missing source", `{"provider": "openai", "model": "gpt-4o", "currency": "USD", "unit": 1000000, "input": "2.5", "output": "10", "effective_from": "2024-10-02"}`, "source"},
		{"missing date", `{"provider": "openai", "model": "gpt-4o", "currency": "USD", "unit": 1000000, "input": "2.5", "output": "10", "source": "s"}`, "effective_from"},
		{"zero unit", `{"provider": "openai", "model": "gpt-4o", "currency": "USD", "unit": 0, "input": "2.5", "output": "10", "effective_from": "2024-10-02", "source": "s"}`, "unit"},
		{"upper-case model", `{"provider": "openai", "model": "GPT-4o", "currency": "USD", "unit": 1000000, "input": "2.5", "output": "10", "effective_from": "2024-10-02", "source": "s"}`, "model"},
		{"duplicate", `{` + ok + `}, {` + ok + `}`, "duplicate"},
		{"unknown field", `{` + ok + `, "inptu": "1"}`, "inptu"},
		{"tier without cached price", `{` + ok + `, "cached_input": "1.25", "tiers": [{"above_prompt_tokens": 200000, "input": "5", "output": "20"}]}`, "tiers[0].rates"},
		{"tiers not increasing", `{` + ok + `, "tiers": [{"above_prompt_tokens": 200000, "input": "5", "output": "20"}, {"above_prompt_tokens": 100000, "input": "6", "output": "30"}]}`, "tiers[1].above_prompt_tokens"},
		{"bad window", `{` + ok + `, "windows": [{"start": "25:00", "end": "01:00", "input": "1", "output": "4"}]}`, "windows[0]"},
		{"tiers and windows", `{` + ok + `, "tiers": [{"above_prompt_tokens": 1, "input": "5", "output": "20"}], "windows": [{"start": "16:30", "end": "00:30", "input": "1", "output": "4"}]}`, "not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTable([]byte(`{"prices": [` + tt.rows + `]}`))
			if !errors.Is(err, ErrInvalidPrice) {
				t.Fatalf("ParseTable(%s) error = %v, want ErrInvalidPrice", tt.name, err)
			}
			if !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("ParseTable(%s) error = %q, want it to name %q", tt.name, err, tt.wantField)
			}
		})
	}
}

// TestParseTableReportsEveryRow checks that every bad row is reported, not
// only the first.
func TestParseTableReportsEveryRow(t *testing.T) {
	_, err := ParseTable([]byte(`{"prices": [
		{"provider": "openai", "model": "a", "currency": "USD", "unit": 1000, "input": "-1", "output": "1", "effective_from": "2024-10-02", "source": "s"},
		{"provider": "openai", "model": "b", "currency": "XXX", "unit": 1000, "input": "1", "output": "1", "effective_from": "2024-10-02", "source": "s"}]}`))
	for _, want := range []string{"prices[0]", "openai/a", "prices[1]", "openai/b"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTable(two bad rows) error = %v, want it to mention %q", err, want)
		}
	}
}

func TestParsePrice(t *testing.T) {
	tests := []struct {
		in      string
		want    string // "" = error
		wantErr bool
	}{
		{in: "0.002", want: "0.002"},
		{in: " 2.5 ", want: "2.5"},
		{in: "0", want: "0"},
		{in: "1e-3", want: "0.001"},
		{in: "0.00000000000000000001", want: "0.00000000000000000001"},
		{in: "", wantErr: true},
		{in: "abc", wantErr: true},
		{in: "-0.01", wantErr: true},
		{in: "NaN", wantErr: true},
		{in: "1e999999", wantErr: true},
		{in: "0x10", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParsePrice(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParsePrice(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && !got.Equal(dec(tt.want)) {
			t.Errorf("ParsePrice(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeCurrency(t *testing.T) {
	tests := []struct{ in, want string }{
		{"CNY", "CNY"}, {"RMB", "CNY"}, {"rmb", "CNY"}, {" usd ", "USD"}, {"BTC", ""}, {"", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeCurrency(tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrUnknownCurrency) {
				t.Errorf("NormalizeCurrency(%q) = %q, %v, want ErrUnknownCurrency", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeCurrency(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
	if !slices.Contains(Currencies(), "CNY") || !slices.Contains(Currencies(), "USD") {
		t.Errorf("Currencies() = %v, want CNY and USD among them", Currencies())
	}
}
