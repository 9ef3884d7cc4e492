package cost

import "strings"

// Names of the environment variables (SPEC §5, seed §5.1.2). Price
// variables are per 1,000 tokens, in the currency named by COST_CURRENCY.
const (
	// EnvCurrency names the currency of every price variable; default CNY.
	EnvCurrency = "COST_CURRENCY"
	// envGPT4 is the seed's alias for the gpt-4 family (gpt-4, gpt-4-turbo,
	// gpt-4-0613, ...; not gpt-4o, gpt-4.1 or gpt-4.5).
	envGPT4 = "OPENAI_GPT4"
	// envUnit is the unit of price variables and custom pricing: the seed
	// states prices per 1,000 tokens.
	envUnit = 1000
)

// The suffixes of a price variable prefix ("DEEPSEEK", "OPENAI_GPT_4O").
const (
	suffixInput       = "_INPUT_PRICE"
	suffixOutput      = "_OUTPUT_PRICE"
	suffixCachedInput = "_CACHED_INPUT_PRICE"
	suffixCacheWrite  = "_CACHE_WRITE_PRICE"
)

// defaultCurrency is the currency of price variables and custom pricing
// when COST_CURRENCY is unset, as in the seed.
const defaultCurrency = "CNY"

// knownProviders are the canonical providers of pkg/parse (SPEC §4.1),
// whose provider-wide variables ({PROVIDER}_INPUT_PRICE) are always read.
func knownProviders() []string {
	return []string{"openai", "azure", "deepseek", "doubao", "wenxin", "anthropic", "gemini", "qwen", "moonshot", "zhipu"}
}

// EnvKey returns s as it appears in a variable name: upper case, every
// character other than a letter or digit (the seed names "-" and ".")
// replaced by "_". EnvKey("gpt-4.1-mini") is "GPT_4_1_MINI".
func EnvKey(s string) string {
	b := []byte(strings.ToUpper(s))
	for i, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// modelPrefix is the variable prefix of a model: {PROVIDER}_{MODEL_KEY}.
func modelPrefix(provider, model string) string {
	return EnvKey(provider) + "_" + EnvKey(model)
}

// isGPT4Family reports whether the seed's OPENAI_GPT4_* variables may price
// model: gpt-4 and its dash-suffixed variants (gpt-4-turbo, gpt-4-0613,
// gpt-4-32k), never gpt-4o, gpt-4.1 or gpt-4.5, which are other models.
func isGPT4Family(model string) bool {
	return model == "gpt-4" || strings.HasPrefix(model, "gpt-4-")
}

// priceVariablePrefix returns the prefix of a price variable's name
// ("OPENAI_GPT_4O" for OPENAI_GPT_4O_CACHED_INPUT_PRICE), or false when
// name is not one.
func priceVariablePrefix(name string) (string, bool) {
	for _, suffix := range []string{suffixCachedInput, suffixCacheWrite, suffixInput, suffixOutput} {
		if prefix, ok := strings.CutSuffix(name, suffix); ok && prefix != "" {
			return prefix, true
		}
	}
	return "", false
}
