package cost

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/parse"
)

// usage returns a parse.Usage with the given counters; a negative argument
// leaves that counter unreported (nil).
func usage(prompt, completion, cached, cacheWrite, reasoning int64) parse.Usage {
	opt := func(v int64) *int64 {
		if v < 0 {
			return nil
		}
		return &v
	}
	return parse.Usage{
		PromptTokens: opt(prompt), CompletionTokens: opt(completion),
		CachedTokens: opt(cached), CacheWriteTokens: opt(cacheWrite), ReasoningTokens: opt(reasoning),
	}
}

func ptr(v int64) *int64 { return &v }

// environ returns m as os.Environ would.
func environ(m map[string]string) []string {
	var kv []string
	for k, v := range m {
		kv = append(kv, k+"="+v)
	}
	return kv
}

// env returns a Lookup over m, the tests' stand-in for the environment.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func decPtr(s string) *decimal.Decimal {
	d := dec(s)
	return &d
}

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t, err = time.Parse(time.DateOnly, s)
	}
	if err != nil {
		panic(err)
	}
	return t
}

// testTable is a small price table with the shapes the tests need; its
// prices follow the vendors' pages but the tests do not depend on the
// builtin table changing.
func testTable() []Price {
	const m = 1_000_000
	return []Price{
		{Provider: "openai", Model: "gpt-4o", Currency: "USD", Unit: m, EffectiveFrom: day("2024-10-02"), Source: "https://openai.com/api/pricing/",
			Rates: Rates{Input: dec("2.5"), Output: dec("10"), CachedInput: decPtr("1.25")}},
		{Provider: "openai", Model: "gpt-4", Currency: "USD", Unit: m, EffectiveFrom: day("2023-03-14"), Source: "https://openai.com/api/pricing/",
			Rates: Rates{Input: dec("30"), Output: dec("60")}},
		{Provider: "openai", Model: "o3-mini", Currency: "USD", Unit: m, EffectiveFrom: day("2025-01-31"), Source: "https://openai.com/api/pricing/",
			Rates: Rates{Input: dec("1.1"), Output: dec("4.4"), CachedInput: decPtr("0.55")}},
		{Provider: "deepseek", Model: "deepseek-chat", Currency: "CNY", Unit: m, EffectiveFrom: day("2025-02-26T16:30:00Z"),
			Source: "https://api-docs.deepseek.com/zh-cn/quick_start/pricing",
			Rates:  Rates{Input: dec("2"), Output: dec("8"), CachedInput: decPtr("0.5")},
			Windows: []Window{{Start: 16*time.Hour + 30*time.Minute, End: 30 * time.Minute,
				Rates: Rates{Input: dec("1"), Output: dec("4"), CachedInput: decPtr("0.25")}}}},
		{Provider: "deepseek", Model: "deepseek-chat", Currency: "CNY", Unit: m, EffectiveFrom: day("2025-09-29"),
			Source: "https://api-docs.deepseek.com/zh-cn/quick_start/pricing",
			Rates:  Rates{Input: dec("2"), Output: dec("3"), CachedInput: decPtr("0.2")}},
		{Provider: "anthropic", Model: "claude-sonnet-4", Currency: "USD", Unit: m, EffectiveFrom: day("2025-05-22"),
			Source: "https://docs.anthropic.com/en/docs/about-claude/pricing",
			Rates:  Rates{Input: dec("3"), Output: dec("15"), CachedInput: decPtr("0.3"), CacheWrite: decPtr("3.75")},
			Tiers: []Tier{{AbovePromptTokens: 200_000,
				Rates: Rates{Input: dec("6"), Output: dec("22.5"), CachedInput: decPtr("0.6"), CacheWrite: decPtr("7.5")}}}},
		{Provider: "gemini", Model: "gemini-2.5-pro", Currency: "USD", Unit: m, EffectiveFrom: day("2025-06-17"),
			Source: "https://ai.google.dev/gemini-api/docs/pricing",
			Rates:  Rates{Input: dec("1.25"), Output: dec("10"), CachedInput: decPtr("0.31")},
			Tiers: []Tier{{AbovePromptTokens: 200_000,
				Rates: Rates{Input: dec("2.5"), Output: dec("15"), CachedInput: decPtr("0.625")}}}},
		{Provider: "zhipu", Model: "glm-4-flash", Currency: "CNY", Unit: m, EffectiveFrom: day("2024-08-27"),
			Source: "https://open.bigmodel.cn/pricing", Rates: Rates{Input: dec("0"), Output: dec("0")}},
	}
}

// newPricer builds a Pricer over testTable, failing the test on error.
func newPricer(t testing.TB, opts Options) *Pricer {
	t.Helper()
	if opts.Table == nil {
		opts.Table = testTable()
	}
	p, err := NewPricer(opts)
	if err != nil {
		t.Fatalf("NewPricer() error = %v", err)
	}
	return p
}

// str renders an optional decimal for comparison: "<nil>" or its text.
func str(d *decimal.Decimal) string {
	if d == nil {
		return "<nil>"
	}
	return d.String()
}

// sameDecimal reports whether got is nil exactly when want is "", and
// otherwise equal (decimal.Equal) to want.
func sameDecimal(got *decimal.Decimal, want string) bool {
	if want == "" {
		return got == nil
	}
	return got != nil && got.Equal(dec(want))
}

// variableNames returns the names of every *VariableError in err's tree.
func variableNames(err error) []string {
	var names []string
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case *VariableError:
			names = append(names, e.Name)
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return names
}
