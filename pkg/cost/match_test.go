package cost

import (
	"slices"
	"strings"
	"testing"
)

func TestCandidates(t *testing.T) {
	tests := []struct {
		model string
		want  []string
	}{
		{"gpt-4o", []string{"gpt-4o"}},
		{"gpt-4o-2024-08-06", []string{"gpt-4o-2024-08-06", "gpt-4o"}},
		{"gpt-4o-mini-2024-07-18", []string{"gpt-4o-mini-2024-07-18", "gpt-4o-mini"}},
		{"gpt-4-0613", []string{"gpt-4-0613", "gpt-4"}},
		{"gpt-4-1106-preview", []string{"gpt-4-1106-preview", "gpt-4"}},
		{"gpt-4.1-2025-04-14", []string{"gpt-4.1-2025-04-14", "gpt-4.1"}},
		{"claude-sonnet-4-20250514", []string{"claude-sonnet-4-20250514", "claude-sonnet-4"}},
		{"claude-opus-4-1-20250805", []string{"claude-opus-4-1-20250805", "claude-opus-4-1"}},
		{"claude-3-5-sonnet@20240620", []string{"claude-3-5-sonnet@20240620", "claude-3-5-sonnet"}},
		{"doubao-1-5-pro-32k-250115", []string{"doubao-1-5-pro-32k-250115", "doubao-1-5-pro-32k"}},
		{"qwen-plus-2025-07-28", []string{"qwen-plus-2025-07-28", "qwen-plus"}},
		// Not dated: a different model, priced under its own name only.
		{"gpt-4-32k", []string{"gpt-4-32k"}},
		{"gpt-4-turbo", []string{"gpt-4-turbo"}},
		{"gpt-4o-mini", []string{"gpt-4o-mini"}},
		{"gpt-4.5-preview", []string{"gpt-4.5-preview"}},
		{"claude-3-5-sonnet-latest", []string{"claude-3-5-sonnet-latest"}},
		{"gemini-1.5-pro-002", []string{"gemini-1.5-pro-002"}},
		{"gemini-2.5-pro-preview-05-06", []string{"gemini-2.5-pro-preview-05-06"}},
		{"llama-3-8b-2048", []string{"llama-3-8b-2048"}},
		{"gpt-4-1399", []string{"gpt-4-1399"}},
	}
	for _, tt := range tests {
		if got := candidates(tt.model); !slices.Equal(got, tt.want) {
			t.Errorf("candidates(%q) = %q, want %q", tt.model, got, tt.want)
		}
	}
}

// TestMatchBuiltin checks model matching against the builtin table: exact
// names win over prefixes, dated names fall back to their base, and gpt-4o
// is never priced as gpt-4.
func TestMatchBuiltin(t *testing.T) {
	p := newPricer(t, Options{Table: mustBuiltin(t)})
	at := day("2025-12-01T12:00:00Z")
	tests := []struct {
		provider, model string
		wantInput       string // per 1M tokens; "" = not found
	}{
		{"openai", "gpt-4o", "2.5"},
		{"openai", "gpt-4o-2024-08-06", "2.5"},
		{"openai", "gpt-4o-2024-05-13", "5"}, // its own row, not gpt-4o's
		{"openai", "gpt-4-0613", "30"},
		{"openai", "gpt-4-1106-preview", "10"}, // GPT-4 Turbo preview, own row
		{"openai", "gpt-4-turbo-2024-04-09", "10"},
		{"openai", "gpt-4.1-mini-2025-04-14", "0.4"},
		{"openai", "gpt-4o-audio-preview", ""}, // unpriced, not gpt-4o
		{"anthropic", "claude-sonnet-4-5-20250929", "3"},
		{"anthropic", "claude-opus-4-1-20250805", "15"},
		{"anthropic", "claude-opus-4-5-20251101", "5"},
		{"doubao", "doubao-1-5-pro-32k-250115", "0.8"},
		{"deepseek", "deepseek-chat", "2"},
	}
	for _, tt := range tests {
		info := p.Cost(tt.provider, tt.model, at, usage(1, 1, -1, -1, -1), nil)
		if !sameDecimal(info.InputPrice, tt.wantInput) {
			t.Errorf("Cost(%s/%s).InputPrice = %v (%s), want %q", tt.provider, tt.model, str(info.InputPrice), info.PricingSource, tt.wantInput)
		}
	}
}

func mustBuiltin(t testing.TB) []Price {
	t.Helper()
	prices, err := BuiltinTable()
	if err != nil {
		t.Fatalf("BuiltinTable() error = %v", err)
	}
	return prices
}

// splitDatedSuffix is isDatedSuffix as first written, with strings.Split:
// the reference the allocation-free version is held to.
func splitDatedSuffix(s string) bool {
	s = strings.TrimSuffix(s, "-preview")
	parts := strings.Split(s, "-")
	for _, p := range parts {
		if !isDigits(p) {
			return false
		}
	}
	switch len(parts) {
	case 1:
		p := parts[0]
		switch len(p) {
		case 8:
			return validMonthDay(p[4:6], p[6:8])
		case 6:
			return validMonthDay(p[2:4], p[4:6])
		case 4:
			return validMonthDay(p[0:2], p[2:4])
		}
	case 3:
		return len(parts[0]) == 4 && len(parts[1]) == 2 && len(parts[2]) == 2 && validMonthDay(parts[1], parts[2])
	}
	return false
}

// FuzzIsDatedSuffix holds isDatedSuffix to splitDatedSuffix. Run with
//
//	go test -run='^$' -fuzz=FuzzIsDatedSuffix -fuzztime=1m ./pkg/cost
func FuzzIsDatedSuffix(f *testing.F) {
	for _, s := range []string{"2024-08-06", "20240806", "250115", "0613", "1106-preview", "2024-8-06", "2024-08-6",
		"-2024-08", "1-23-4567", "0000-00-00", "2024-13-01", "mini", "32k", "", "-", "--", "2024--08-06", "2024-08-06-preview"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isDatedSuffix(s), splitDatedSuffix(s); got != want {
			t.Fatalf("isDatedSuffix(%q) = %v, want %v", s, got, want)
		}
	})
}

// TestProviderAlias checks that a call whose provider is an alias pkg/parse
// accepts (kimi, claude, google, ...) is priced as its canonical provider,
// while a price set under the alias itself still wins.
func TestProviderAlias(t *testing.T) {
	aliasPrice := Price{Provider: "kimi", Model: "kimi-k2-0905-preview", Currency: "CNY", Unit: 1_000_000,
		Rates: Rates{Input: dec("7"), Output: dec("7")}, EffectiveFrom: day("2025-09-05"), Source: "harborctl pricing set"}
	p := newPricer(t, Options{Table: mustBuiltin(t)})
	withAlias := newPricer(t, Options{Table: mustBuiltin(t), Dynamic: []Price{aliasPrice}})
	at := day("2025-12-01T12:00:00Z")
	tests := []struct {
		name            string
		p               *Pricer
		provider, model string
		wantInput       string
		wantSource      string
	}{
		{"kimi", p, "kimi", "kimi-k2-0905-preview", "4", SourceDefaultConfig},
		{"claude", p, "claude", "claude-sonnet-4-5-20250929", "3", SourceDefaultConfig},
		{"google", p, "Google", "gemini-2.5-flash", "0.3", SourceDefaultConfig},
		{"azure openai", p, "Azure-OpenAI", "gpt-4o", "2.5", SourceDefaultConfig},
		{"dashscope", p, "dashscope", "qwen-max", "2.4", SourceDefaultConfig},
		{"ark", p, "ark", "doubao-1-5-pro-32k-250115", "0.8", SourceDefaultConfig},
		{"price set under the alias wins", withAlias, "kimi", "kimi-k2-0905-preview", "7", SourceDynamic},
		{"unknown provider", p, "mistral", "gpt-4o", "", SourceNotFound},
	}
	for _, tt := range tests {
		info := tt.p.Cost(tt.provider, tt.model, at, usage(1, 1, -1, -1, -1), nil)
		if !sameDecimal(info.InputPrice, tt.wantInput) || info.PricingSource != tt.wantSource {
			t.Errorf("Cost(%s/%s) = %s %s, want %s %s", tt.provider, tt.model, str(info.InputPrice), info.PricingSource, tt.wantInput, tt.wantSource)
		}
	}
}
