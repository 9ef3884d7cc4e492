package cost

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestEnvPrecedence checks which price variable prices a call: the model's
// own variable, then the seed's OPENAI_GPT4_* alias (gpt-4 family only),
// then the provider-wide variable, then the table. Usage is 1,000 prompt
// and 1,000 completion tokens, so the costs equal the per-1,000 prices.
func TestEnvPrecedence(t *testing.T) {
	alias := map[string]string{"OPENAI_GPT4_INPUT_PRICE": "0.21", "OPENAI_GPT4_OUTPUT_PRICE": "0.42"}
	own := with(alias, map[string]string{"OPENAI_GPT_4O_INPUT_PRICE": "0.0175", "OPENAI_GPT_4O_OUTPUT_PRICE": "0.07"})
	wide := with(own, map[string]string{"OPENAI_INPUT_PRICE": "0.001", "OPENAI_OUTPUT_PRICE": "0.002"})
	turbo := with(wide, map[string]string{"OPENAI_GPT_4_TURBO_INPUT_PRICE": "0.07", "OPENAI_GPT_4_TURBO_OUTPUT_PRICE": "0.21"})
	deepseek := map[string]string{
		"DEEPSEEK_INPUT_PRICE": "0.002", "DEEPSEEK_OUTPUT_PRICE": "0.003",
		"DEEPSEEK_DEEPSEEK_REASONER_INPUT_PRICE": "0.004", "DEEPSEEK_DEEPSEEK_REASONER_OUTPUT_PRICE": "0.016",
	}
	tests := []struct {
		name            string
		env             map[string]string
		provider, model string
		wantSource      string
		wantIn, wantOut string
	}{
		{"gpt-4 takes the alias", alias, "openai", "gpt-4", SourceEnvironmentVariable, "0.21", "0.42"},
		{"dated gpt-4 takes the alias", alias, "openai", "gpt-4-0613", SourceEnvironmentVariable, "0.21", "0.42"},
		{"gpt-4-turbo takes the alias", alias, "openai", "gpt-4-turbo", SourceEnvironmentVariable, "0.21", "0.42"},
		{"gpt-4-turbo's own variable beats the alias", turbo, "openai", "gpt-4-turbo", SourceEnvironmentVariable, "0.07", "0.21"},
		{"dated gpt-4-turbo takes gpt-4-turbo's variable", turbo, "openai", "gpt-4-turbo-2024-04-09", SourceEnvironmentVariable, "0.07", "0.21"},
		{"gpt-4o never takes the alias (no own variable)", alias, "openai", "gpt-4o", SourceDefaultConfig, "0.0025", "0.01"},
		{"gpt-4o takes its own variable, not the alias", own, "openai", "gpt-4o", SourceEnvironmentVariable, "0.0175", "0.07"},
		{"dated gpt-4o takes gpt-4o's variable", own, "openai", "gpt-4o-2024-08-06", SourceEnvironmentVariable, "0.0175", "0.07"},
		{"gpt-4.1 is not in the gpt-4 family", alias, "openai", "gpt-4.1", SourceNotFound, "", ""},
		{"model variable beats the provider variable", wide, "openai", "gpt-4o", SourceEnvironmentVariable, "0.0175", "0.07"},
		{"alias beats the provider variable", wide, "openai", "gpt-4", SourceEnvironmentVariable, "0.21", "0.42"},
		{"provider variable prices other models", wide, "openai", "gpt-4.1", SourceEnvironmentVariable, "0.001", "0.002"},
		{"provider variable beats the table", wide, "openai", "o3-mini", SourceEnvironmentVariable, "0.001", "0.002"},
		{"alias is for openai only", alias, "azure", "gpt-4", SourceNotFound, "", ""},
		{"DEEPSEEK_* prices deepseek-chat", deepseek, "deepseek", "deepseek-chat", SourceEnvironmentVariable, "0.002", "0.003"},
		{"the model's variable beats DEEPSEEK_*", deepseek, "deepseek", "deepseek-reasoner", SourceEnvironmentVariable, "0.004", "0.016"},
		{"no variables: the table", nil, "deepseek", "deepseek-chat", SourceDefaultConfig, "0.002", "0.003"},
	}
	at := day("2025-10-01T03:00:00Z")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPricer(t, Options{Lookup: env(tt.env), Environ: environ(tt.env)})
			got := p.Cost(tt.provider, tt.model, at, usage(1000, 1000, 0, 0, 0), nil)
			if got.PricingSource != tt.wantSource || !sameDecimal(got.InputCost, tt.wantIn) || !sameDecimal(got.OutputCost, tt.wantOut) {
				t.Errorf("Cost(%s/%s) = %s in %s out %s, want %s in %s out %s", tt.provider, tt.model,
					got.PricingSource, str(got.InputCost), str(got.OutputCost), tt.wantSource, tt.wantIn, tt.wantOut)
			}
		})
	}
}

// TestUserCase is the example: DEEPSEEK_INPUT_PRICE=0.002
// DEEPSEEK_OUTPUT_PRICE=0.003 COST_CURRENCY=CNY, deepseek-chat with 1,000
// prompt and 500 completion tokens. The stored form of a cost has Scale (12)
// decimal places; String() prints it without trailing zeros.
func TestUserCase(t *testing.T) {
	p := newPricer(t, Options{Table: mustBuiltin(t), Lookup: env(map[string]string{
		"DEEPSEEK_INPUT_PRICE": "0.002", "DEEPSEEK_OUTPUT_PRICE": "0.003", "COST_CURRENCY": "CNY",
	})})
	got := p.Cost("deepseek", "deepseek-chat", day("2025-10-01T03:00:00Z"), usage(1000, 500, -1, -1, -1), nil)
	for _, c := range []struct {
		field      string
		got        string
		want       string
		fixed      string
		gotFixed   string
		equalValue bool
	}{
		{"input_cost", str(got.InputCost), "0.002", "0.002000000000", fixed(got.InputCost), sameDecimal(got.InputCost, "0.002")},
		{"output_cost", str(got.OutputCost), "0.0015", "0.001500000000", fixed(got.OutputCost), sameDecimal(got.OutputCost, "0.0015")},
		{"total_cost", str(got.TotalCost), "0.0035", "0.003500000000", fixed(got.TotalCost), sameDecimal(got.TotalCost, "0.0035")},
	} {
		if !c.equalValue || c.got != c.want || c.gotFixed != c.fixed {
			t.Errorf("Cost(deepseek/deepseek-chat).%s = %s (stored %s), want %s (stored %s)", c.field, c.got, c.gotFixed, c.want, c.fixed)
		}
	}
	if got.Currency != "CNY" || got.PricingSource != SourceEnvironmentVariable || got.Unit != 1000 {
		t.Errorf("Cost(deepseek/deepseek-chat) = currency %s source %s unit %d, want CNY environment_variable 1000",
			got.Currency, got.PricingSource, got.Unit)
	}
	if !got.TotalCost.Equal(got.InputCost.Add(*got.OutputCost)) {
		t.Errorf("total_cost %v != input_cost %v + output_cost %v", got.TotalCost, got.InputCost, got.OutputCost)
	}
}

func fixed(d interface{ StringFixed(int32) string }) string { return d.StringFixed(Scale) }

func TestEnvCurrency(t *testing.T) {
	tests := []struct{ value, want string }{{"", "CNY"}, {"CNY", "CNY"}, {"RMB", "CNY"}, {"usd", "USD"}}
	for _, tt := range tests {
		p := newPricer(t, Options{Lookup: env(map[string]string{
			"COST_CURRENCY": tt.value, "DEEPSEEK_INPUT_PRICE": "0.002", "DEEPSEEK_OUTPUT_PRICE": "0.003",
		})})
		got := p.Cost("deepseek", "deepseek-chat", day("2025-10-01"), usage(1000, 1000, -1, -1, -1), nil)
		if got.Currency != tt.want || p.Currency() != tt.want {
			t.Errorf("Cost() with COST_CURRENCY=%q: currency = %s (Pricer %s), want %s", tt.value, got.Currency, p.Currency(), tt.want)
		}
	}
}

// TestEnvCachedInput checks the optional _CACHED_INPUT_PRICE and
// _CACHE_WRITE_PRICE variables, and the fallback to the input price.
func TestEnvCachedInput(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		wantIn string
	}{
		// 600 uncached * 0.002 + 400 cached * 0.0005 = 1.2 + 0.2 = 1.4 per 1,000 = 0.0014
		{"cached price", map[string]string{"DEEPSEEK_INPUT_PRICE": "0.002", "DEEPSEEK_OUTPUT_PRICE": "0.003", "DEEPSEEK_CACHED_INPUT_PRICE": "0.0005"}, "0.0014"},
		// without it the cached tokens cost the input price: 1000 * 0.002 / 1000
		{"no cached price", map[string]string{"DEEPSEEK_INPUT_PRICE": "0.002", "DEEPSEEK_OUTPUT_PRICE": "0.003"}, "0.002"},
	}
	for _, tt := range tests {
		p := newPricer(t, Options{Lookup: env(tt.env)})
		got := p.Cost("deepseek", "deepseek-chat", day("2025-10-01"), usage(1000, 0, 400, -1, -1), nil)
		if !sameDecimal(got.InputCost, tt.wantIn) {
			t.Errorf("Cost(%s) input_cost = %s, want %s", tt.name, str(got.InputCost), tt.wantIn)
		}
	}
}

// TestEnviron checks that Options.Environ finds the variables of models
// and providers that no table lists, and that without it only the tables'
// models and the known providers are read.
func TestEnviron(t *testing.T) {
	vars := map[string]string{
		"OPENAI_GPT_5_5_INPUT_PRICE": "0.005", "OPENAI_GPT_5_5_OUTPUT_PRICE": "0.03",
		"MISTRAL_INPUT_PRICE": "0.001", "MISTRAL_OUTPUT_PRICE": "0.003",
		"DEEPSEEK_INPUT_PRICE": "0.002", "DEEPSEEK_OUTPUT_PRICE": "0.003",
		"PATH": "/usr/bin",
	}
	tests := []struct {
		name            string
		environ         []string
		provider, model string
		wantSource      string
		wantIn          string
	}{
		{"model not in the tables", environ(vars), "openai", "gpt-5.5", SourceEnvironmentVariable, "0.005"},
		{"its dated name", environ(vars), "openai", "gpt-5.5-2026-04-23", SourceEnvironmentVariable, "0.005"},
		{"unknown provider", environ(vars), "mistral", "mistral-large", SourceEnvironmentVariable, "0.001"},
		{"without Environ: model not read", nil, "openai", "gpt-5.5", SourceNotFound, ""},
		{"without Environ: unknown provider not read", nil, "mistral", "mistral-large", SourceNotFound, ""},
		{"without Environ: known provider read", nil, "deepseek", "deepseek-v9", SourceEnvironmentVariable, "0.002"},
	}
	for _, tt := range tests {
		p := newPricer(t, Options{Lookup: env(vars), Environ: tt.environ})
		got := p.Cost(tt.provider, tt.model, day("2026-06-01"), usage(1000, 1000, -1, -1, -1), nil)
		if got.PricingSource != tt.wantSource || !sameDecimal(got.InputCost, tt.wantIn) {
			t.Errorf("Cost(%s/%s) [%s] = %s %s, want %s %s", tt.provider, tt.model, tt.name, got.PricingSource, str(got.InputCost), tt.wantSource, tt.wantIn)
		}
	}
}

// TestNewPricerInvalidVariables checks that an unusable price variable
// fails NewPricer with an error naming it, every problem at once.
func TestNewPricerInvalidVariables(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		wantNames []string
	}{
		{"not a number", map[string]string{"DEEPSEEK_INPUT_PRICE": "abc", "DEEPSEEK_OUTPUT_PRICE": "0.003"},
			[]string{"DEEPSEEK_INPUT_PRICE"}},
		{"negative", map[string]string{"OPENAI_GPT_4O_INPUT_PRICE": "0.0025", "OPENAI_GPT_4O_OUTPUT_PRICE": "-0.01"},
			[]string{"OPENAI_GPT_4O_OUTPUT_PRICE"}},
		{"input without output", map[string]string{"DEEPSEEK_INPUT_PRICE": "0.002"},
			[]string{"DEEPSEEK_INPUT_PRICE"}},
		{"cached without the pair", map[string]string{"OPENAI_GPT4_CACHED_INPUT_PRICE": "0.01"},
			[]string{"OPENAI_GPT4_CACHED_INPUT_PRICE"}},
		{"bad cached price", map[string]string{"DEEPSEEK_INPUT_PRICE": "0.002", "DEEPSEEK_OUTPUT_PRICE": "0.003", "DEEPSEEK_CACHED_INPUT_PRICE": "1,5"},
			[]string{"DEEPSEEK_CACHED_INPUT_PRICE"}},
		{"unknown currency", map[string]string{"COST_CURRENCY": "BTC"}, []string{"COST_CURRENCY"}},
		{"every problem at once", map[string]string{
			"COST_CURRENCY": "dollars", "DEEPSEEK_INPUT_PRICE": "-1", "DEEPSEEK_OUTPUT_PRICE": "0.003",
			"OPENAI_GPT4_INPUT_PRICE": "x", "OPENAI_GPT4_OUTPUT_PRICE": "y",
		}, []string{"COST_CURRENCY", "DEEPSEEK_INPUT_PRICE", "OPENAI_GPT4_INPUT_PRICE", "OPENAI_GPT4_OUTPUT_PRICE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPricer(Options{Table: testTable(), Lookup: env(tt.env)})
			if p != nil || !errors.Is(err, ErrInvalidPrice) {
				t.Fatalf("NewPricer(%v) = %v, %v, want nil and ErrInvalidPrice", tt.env, p, err)
			}
			got := variableNames(err)
			slices.Sort(got)
			if !slices.Equal(got, tt.wantNames) {
				t.Errorf("NewPricer(%v) error names %v, want %v (error: %v)", tt.env, got, tt.wantNames, err)
			}
			for _, name := range tt.wantNames {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("NewPricer(%v) error = %q, want it to name %s", tt.env, err, name)
				}
			}
		})
	}
}

// TestEmptyVariableIsUnset matches the seed: an empty value is no value.
func TestEmptyVariableIsUnset(t *testing.T) {
	p := newPricer(t, Options{Lookup: env(map[string]string{"DEEPSEEK_INPUT_PRICE": "", "DEEPSEEK_OUTPUT_PRICE": " "})})
	got := p.Cost("deepseek", "deepseek-chat", day("2025-10-01"), usage(1000, 1000, -1, -1, -1), nil)
	if got.PricingSource != SourceDefaultConfig {
		t.Errorf("Cost() with empty DEEPSEEK_* = %s, want default_config", got.PricingSource)
	}
}

func TestEnvKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"gpt-4o", "GPT_4O"}, {"gpt-4.1-mini", "GPT_4_1_MINI"}, {"deepseek-chat", "DEEPSEEK_CHAT"}, {"qwen/qwen3:8b", "QWEN_QWEN3_8B"},
	}
	for _, tt := range tests {
		if got := EnvKey(tt.in); got != tt.want {
			t.Errorf("EnvKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// with returns the union of two variable sets, b winning.
func with(a, b map[string]string) map[string]string {
	m := maps.Clone(a)
	maps.Copy(m, b)
	return m
}
