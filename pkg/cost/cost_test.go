package cost

import (
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
)

func TestCost(t *testing.T) {
	afterV32 := day("2025-10-01T03:00:00Z")
	tests := []struct {
		name            string
		provider, model string
		at              time.Time
		usage           parse.Usage
		custom          *event.CustomPricing
		// want
		source, currency string
		in, out, total   string // "" = nil
		inputPrice       string // the unit price charged for input, "" = nil
		unit             int64
		pricingError     bool
	}{
		{
			// OpenAI shape: prompt includes cached. (600*2.5 + 400*1.25) / 1M, 200*10 / 1M
			name: "openai cached tokens", provider: "openai", model: "gpt-4o", at: afterV32,
			usage:  usage(1000, 200, 400, -1, -1),
			source: SourceDefaultConfig, currency: "USD", in: "0.002", out: "0.002", total: "0.004", inputPrice: "2.5", unit: 1_000_000,
		},
		{
			name: "dated model priced as its base", provider: "openai", model: "gpt-4o-2024-08-06", at: afterV32,
			usage:  usage(1000, 200, 400, -1, -1),
			source: SourceDefaultConfig, currency: "USD", in: "0.002", out: "0.002", total: "0.004", inputPrice: "2.5", unit: 1_000_000,
		},
		{
			name: "names are case-insensitive", provider: "OpenAI", model: "GPT-4o", at: afterV32,
			usage:  usage(1000, 200, 400, -1, -1),
			source: SourceDefaultConfig, currency: "USD", in: "0.002", out: "0.002", total: "0.004", inputPrice: "2.5", unit: 1_000_000,
		},
		{
			// DeepSeek shape: prompt = cache hit + cache miss. (2000*2 + 8000*0.2) / 1M, 1000*3 / 1M
			name: "deepseek cache hits", provider: "deepseek", model: "deepseek-chat", at: afterV32,
			usage:  usage(10000, 1000, 8000, -1, -1),
			source: SourceDefaultConfig, currency: "CNY", in: "0.0056", out: "0.003", total: "0.0086", inputPrice: "2", unit: 1_000_000,
		},
		{
			// 2025-03-01 17:00 UTC is off-peak: (2000*1 + 8000*0.25) / 1M, 1000*4 / 1M
			name: "deepseek off-peak window", provider: "deepseek", model: "deepseek-chat", at: day("2025-03-01T17:00:00Z"),
			usage:  usage(10000, 1000, 8000, -1, -1),
			source: SourceDefaultConfig, currency: "CNY", in: "0.004", out: "0.004", total: "0.008", inputPrice: "1", unit: 1_000_000,
		},
		{
			name: "deepseek window start is off-peak", provider: "deepseek", model: "deepseek-chat", at: day("2025-03-01T16:30:00Z"),
			usage:  usage(10000, 1000, 8000, -1, -1),
			source: SourceDefaultConfig, currency: "CNY", in: "0.004", out: "0.004", total: "0.008", inputPrice: "1", unit: 1_000_000,
		},
		{
			// the window ends at 00:30 exclusive: (2000*2 + 8000*0.5) / 1M, 1000*8 / 1M
			name: "deepseek window end is standard", provider: "deepseek", model: "deepseek-chat", at: day("2025-03-02T00:30:00Z"),
			usage:  usage(10000, 1000, 8000, -1, -1),
			source: SourceDefaultConfig, currency: "CNY", in: "0.008", out: "0.008", total: "0.016", inputPrice: "2", unit: 1_000_000,
		},
		{
			name: "before the earliest effective date", provider: "deepseek", model: "deepseek-chat", at: day("2025-02-01"),
			usage:  usage(10000, 1000, 8000, -1, -1),
			source: SourceNotFound,
		},
		{
			// Anthropic shape, folded by the parser: prompt = 100 uncached + 2000 read + 1000 written.
			// (100*3 + 2000*0.3 + 1000*3.75) / 1M, 500*15 / 1M
			name: "anthropic cache read and write", provider: "anthropic", model: "claude-sonnet-4-20250514", at: afterV32,
			usage:  usage(3100, 500, 2000, 1000, -1),
			source: SourceDefaultConfig, currency: "USD", in: "0.00465", out: "0.0075", total: "0.01215", inputPrice: "3", unit: 1_000_000,
		},
		{
			// above 200K prompt tokens the whole call is at the long-context rates: 250000*6 / 1M, 1000*22.5 / 1M
			name: "anthropic long context tier", provider: "anthropic", model: "claude-sonnet-4", at: afterV32,
			usage:  usage(250000, 1000, 0, 0, -1),
			source: SourceDefaultConfig, currency: "USD", in: "1.5", out: "0.0225", total: "1.5225", inputPrice: "6", unit: 1_000_000,
		},
		{
			name: "tier threshold is exclusive", provider: "anthropic", model: "claude-sonnet-4", at: afterV32,
			usage:  usage(200000, 1000, 0, 0, -1),
			source: SourceDefaultConfig, currency: "USD", in: "0.6", out: "0.015", total: "0.615", inputPrice: "3", unit: 1_000_000,
		},
		{
			// (200000*2.5 + 100000*0.625) / 1M, 2000*15 / 1M
			name: "gemini long context with cache", provider: "gemini", model: "gemini-2.5-pro", at: afterV32,
			usage:  usage(300000, 2000, 100000, -1, -1),
			source: SourceDefaultConfig, currency: "USD", in: "0.5625", out: "0.03", total: "0.5925", inputPrice: "2.5", unit: 1_000_000,
		},
		{
			// reasoning tokens are inside completion and billed at the output price: 2000*1.1 / 1M, 5000*4.4 / 1M
			name: "reasoning model", provider: "openai", model: "o3-mini", at: afterV32,
			usage:  usage(2000, 5000, 0, -1, 4500),
			source: SourceDefaultConfig, currency: "USD", in: "0.0022", out: "0.022", total: "0.0242", inputPrice: "1.1", unit: 1_000_000,
		},
		{
			name: "unpriced model", provider: "openai", model: "gpt-4o-mini", at: afterV32,
			usage:  usage(1000, 200, 0, -1, -1),
			source: SourceNotFound,
		},
		{
			name: "unknown provider", provider: "acme", model: "gpt-4o", at: afterV32,
			usage:  usage(1000, 200, 0, -1, -1),
			source: SourceNotFound,
		},
		{
			// 1*2.5 / 1M, 1*10 / 1M
			name: "one-token call", provider: "openai", model: "gpt-4o", at: afterV32,
			usage:  usage(1, 1, 0, -1, -1),
			source: SourceDefaultConfig, currency: "USD", in: "0.0000025", out: "0.00001", total: "0.0000125", inputPrice: "2.5", unit: 1_000_000,
		},
		{
			// 1 * 0.0000000001 / 1000 = 1e-13, below half of 1e-12: stored as 1e-12, not 0
			name: "one-token call never rounds to zero", provider: "openai", model: "gpt-4o", at: afterV32,
			usage:  usage(1, 1, -1, -1, -1),
			custom: &event.CustomPricing{InputPrice: "0.0000000001", OutputPrice: "0.0000000001", Currency: "USD"},
			source: SourceAPIParameter, currency: "USD", in: "0.000000000001", out: "0.000000000001", total: "0.000000000002", inputPrice: "0.0000000001", unit: 1000,
		},
		{
			// 1 * 0.0000000025 / 1000 = 2.5e-12: half away from zero gives 3e-12 (banker's would give 2e-12)
			name: "rounding half away from zero", provider: "openai", model: "gpt-4o", at: afterV32,
			usage:  usage(1, 1, -1, -1, -1),
			custom: &event.CustomPricing{InputPrice: "0.0000000025", OutputPrice: "0.0000000014", Currency: "USD"},
			source: SourceAPIParameter, currency: "USD", in: "0.000000000003", out: "0.000000000001", total: "0.000000000004", inputPrice: "0.0000000025", unit: 1000,
		},
		{
			name: "free model costs zero, not nil", provider: "zhipu", model: "glm-4-flash", at: afterV32,
			usage:  usage(1000, 1000, -1, -1, -1),
			source: SourceDefaultConfig, currency: "CNY", in: "0", out: "0", total: "0", inputPrice: "0", unit: 1_000_000,
		},
		{
			name: "usage missing keeps source and prices", provider: "openai", model: "gpt-4o", at: afterV32,
			usage:  parse.Usage{UsageMissing: true},
			source: SourceDefaultConfig, currency: "USD", inputPrice: "2.5", unit: 1_000_000,
		},
		{
			name: "completion missing", provider: "openai", model: "gpt-4o", at: afterV32,
			usage:  usage(1000, -1, -1, -1, -1),
			source: SourceDefaultConfig, currency: "USD", inputPrice: "2.5", unit: 1_000_000,
		},
		{
			name: "cached tokens exceeding prompt", provider: "openai", model: "gpt-4o", at: afterV32,
			usage:  usage(1000, 10, 2000, -1, -1),
			source: SourceDefaultConfig, currency: "USD", inputPrice: "2.5", unit: 1_000_000, pricingError: true,
		},
		{
			name: "negative count", provider: "openai", model: "gpt-4o", at: afterV32,
			usage:  parse.Usage{PromptTokens: ptr(1000), CompletionTokens: ptr(-5)},
			source: SourceDefaultConfig, currency: "USD", inputPrice: "2.5", unit: 1_000_000, pricingError: true,
		},
		{
			// RMB is CNY; custom prices are per 1,000 tokens: 1000*0.00015 / 1000, 2000*0.0003 / 1000
			name: "custom pricing in RMB", provider: "deepseek", model: "deepseek-chat", at: afterV32,
			usage:  usage(1000, 2000, 0, -1, -1),
			custom: &event.CustomPricing{InputPrice: "0.00015", OutputPrice: "0.00030", Currency: "RMB"},
			source: SourceAPIParameter, currency: "CNY", in: "0.00015", out: "0.0006", total: "0.00075", inputPrice: "0.00015", unit: 1000,
		},
		{
			// (500*0.002 + 500*0.001) / 1000, 100*0.008 / 1000
			name: "custom pricing with a cached price", provider: "openai", model: "gpt-4o", at: afterV32,
			usage:  usage(1000, 100, 500, -1, -1),
			custom: &event.CustomPricing{InputPrice: "0.002", OutputPrice: "0.008", CachedInputPrice: "0.001", Currency: "USD"},
			source: SourceAPIParameter, currency: "USD", in: "0.0015", out: "0.0008", total: "0.0023", inputPrice: "0.002", unit: 1000,
		},
		{
			name: "custom pricing without currency takes COST_CURRENCY", provider: "acme", model: "x", at: afterV32,
			usage:  usage(1000, 1000, -1, -1, -1),
			custom: &event.CustomPricing{InputPrice: "0.001", OutputPrice: "0.002"},
			source: SourceAPIParameter, currency: "CNY", in: "0.001", out: "0.002", total: "0.003", inputPrice: "0.001", unit: 1000,
		},
		{
			name: "unusable custom pricing", provider: "openai", model: "gpt-4o", at: afterV32,
			usage:  usage(1000, 1000, -1, -1, -1),
			custom: &event.CustomPricing{InputPrice: "0.001", OutputPrice: "0.002", Currency: "BTC"},
			source: SourceAPIParameter, pricingError: true,
		},
	}
	p := newPricer(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Cost(tt.provider, tt.model, tt.at, tt.usage, tt.custom)
			if got.PricingSource != tt.source || got.Currency != tt.currency || got.Unit != tt.unit {
				t.Errorf("Cost(%v) = source %s currency %q unit %d, want %s %q %d",
					tt.name, got.PricingSource, got.Currency, got.Unit, tt.source, tt.currency, tt.unit)
			}
			if !sameDecimal(got.InputCost, tt.in) || !sameDecimal(got.OutputCost, tt.out) || !sameDecimal(got.TotalCost, tt.total) {
				t.Errorf("Cost(%v) = in %s out %s total %s, want in %q out %q total %q",
					tt.name, str(got.InputCost), str(got.OutputCost), str(got.TotalCost), tt.in, tt.out, tt.total)
			}
			if !sameDecimal(got.InputPrice, tt.inputPrice) {
				t.Errorf("Cost(%v).InputPrice = %s, want %q", tt.name, str(got.InputPrice), tt.inputPrice)
			}
			if (got.PricingError != "") != tt.pricingError {
				t.Errorf("Cost(%v).PricingError = %q, want one: %v", tt.name, got.PricingError, tt.pricingError)
			}
			if got.TotalCost != nil && !got.TotalCost.Equal(got.InputCost.Add(*got.OutputCost)) {
				t.Errorf("Cost(%v): total_cost %v != input_cost %v + output_cost %v", tt.name, got.TotalCost, got.InputCost, got.OutputCost)
			}
			if !got.PricingTimestamp.Equal(tt.at) || got.PricingTimestamp.Location() != time.UTC {
				t.Errorf("Cost(%v).PricingTimestamp = %v, want %v in UTC", tt.name, got.PricingTimestamp, tt.at)
			}
		})
	}
}

// TestSourcePrecedence checks SPEC §5's order: api_parameter, dynamic,
// environment_variable, default_config.
func TestSourcePrecedence(t *testing.T) {
	dynamic := []Price{{Provider: "deepseek", Model: "deepseek-chat", Currency: "CNY", Unit: 1000,
		Rates: Rates{Input: dec("0.005"), Output: dec("0.005")}, EffectiveFrom: day("2025-09-01"), Source: "harborctl pricing set"}}
	vars := map[string]string{"DEEPSEEK_INPUT_PRICE": "0.002", "DEEPSEEK_OUTPUT_PRICE": "0.003"}
	custom := &event.CustomPricing{InputPrice: "0.009", OutputPrice: "0.009", Currency: "CNY"}
	tests := []struct {
		name       string
		opts       Options
		custom     *event.CustomPricing
		at         time.Time
		wantSource string
		wantIn     string
	}{
		{"custom beats everything", Options{Dynamic: dynamic, Lookup: env(vars)}, custom, day("2025-10-01"), SourceAPIParameter, "0.009"},
		{"dynamic beats variables", Options{Dynamic: dynamic, Lookup: env(vars)}, nil, day("2025-10-01"), SourceDynamic, "0.005"},
		{"dynamic not yet effective", Options{Dynamic: dynamic, Lookup: env(vars)}, nil, day("2025-08-01"), SourceEnvironmentVariable, "0.002"},
		{"variables beat the table", Options{Lookup: env(vars)}, nil, day("2025-10-01"), SourceEnvironmentVariable, "0.002"},
		{"the table", Options{}, nil, day("2025-10-01"), SourceDefaultConfig, "0.002"},
	}
	for _, tt := range tests {
		got := newPricer(t, tt.opts).Cost("deepseek", "deepseek-chat", tt.at, usage(1000, 1000, -1, -1, -1), tt.custom)
		if got.PricingSource != tt.wantSource || !sameDecimal(got.InputCost, tt.wantIn) {
			t.Errorf("Cost(%s) = %s %s, want %s %s", tt.name, got.PricingSource, str(got.InputCost), tt.wantSource, tt.wantIn)
		}
	}
}

// TestNewPricerInvalidPrices checks that bad dynamic prices fail NewPricer.
func TestNewPricerInvalidPrices(t *testing.T) {
	bad := Price{Provider: "deepseek", Model: "deepseek-chat", Currency: "CNY", Unit: 1000,
		Rates: Rates{Input: dec("-1"), Output: dec("1")}, EffectiveFrom: day("2025-09-01")}
	p, err := NewPricer(Options{Table: testTable(), Dynamic: []Price{bad}})
	if p != nil || err == nil {
		t.Fatalf("NewPricer(negative dynamic price) = %v, %v, want an error", p, err)
	}
	for _, want := range []string{"dynamic prices", "deepseek/deepseek-chat", "input", "source"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("NewPricer(negative dynamic price) error = %q, want it to mention %q", err, want)
		}
	}
}

// TestBuiltinExamples prices a few calls with the builtin table.
func TestBuiltinExamples(t *testing.T) {
	p := newPricer(t, Options{Table: mustBuiltin(t)})
	tests := []struct {
		name            string
		provider, model string
		at              time.Time
		usage           parse.Usage
		wantIn, wantOut string
		wantCurrency    string
	}{
		// 2025-03-01 17:00 UTC, off-peak: (2000*1 + 8000*0.25) / 1M, 1000*4 / 1M
		{"deepseek off-peak 2025", "deepseek", "deepseek-chat", day("2025-03-01T17:00:00Z"), usage(10000, 1000, 8000, -1, -1), "0.004", "0.004", "CNY"},
		// V3.1 list price: (2000*4 + 8000*0.5) / 1M, 1000*12 / 1M
		{"deepseek V3.1", "deepseek", "deepseek-chat", day("2025-09-10T17:00:00Z"), usage(10000, 1000, 8000, -1, -1), "0.012", "0.012", "CNY"},
		// (100*3 + 2000*0.3 + 1000*3.75) / 1M, 500*15 / 1M
		{"claude sonnet 4.5", "anthropic", "claude-sonnet-4-5-20250929", day("2025-12-01"), usage(3100, 500, 2000, 1000, -1), "0.00465", "0.0075", "USD"},
		{"gemini 2.5 pro long", "gemini", "gemini-2.5-pro", day("2025-12-01"), usage(300000, 2000, 100000, -1, -1), "0.5625", "0.03", "USD"},
		// the V4 Pro discount was made permanent (2026-05-22): (2000*3 + 8000*0.025) / 1M, 1000*6 / 1M
		{"deepseek v4 pro after may 2026", "deepseek", "deepseek-v4-pro", day("2026-11-01T12:00:00Z"), usage(10000, 1000, 8000, -1, -1), "0.0062", "0.006", "CNY"},
	}
	for _, tt := range tests {
		got := p.Cost(tt.provider, tt.model, tt.at, tt.usage, nil)
		if !sameDecimal(got.InputCost, tt.wantIn) || !sameDecimal(got.OutputCost, tt.wantOut) || got.Currency != tt.wantCurrency {
			t.Errorf("Cost(%s) = %s %s %s, want %s %s %s", tt.name, str(got.InputCost), str(got.OutputCost), got.Currency, tt.wantIn, tt.wantOut, tt.wantCurrency)
		}
	}
}
