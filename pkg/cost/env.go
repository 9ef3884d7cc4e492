package cost

import (
	"errors"
	"strings"

	"github.com/shopspring/decimal"
)

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

// envPrices are the price variables NewPricer found, by prefix:
// {PROVIDER}_{MODEL_KEY}, OPENAI_GPT4 and {PROVIDER}.
type envPrices struct {
	currency string
	rates    map[string]Rates
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

// loadEnv reads COST_CURRENCY and the price variables of every prefix
// through lookup, once. Every unusable variable is reported, each as a
// *VariableError.
func loadEnv(lookup func(string) (string, bool), prefixes []string) (envPrices, error) {
	e := envPrices{currency: defaultCurrency, rates: map[string]Rates{}}
	if lookup == nil {
		return e, nil
	}
	var errs []error
	if v, ok := lookup(EnvCurrency); ok && strings.TrimSpace(v) != "" {
		c, err := NormalizeCurrency(v)
		if err != nil {
			errs = append(errs, &VariableError{Name: EnvCurrency, Value: v, Reason: err.Error()})
		} else {
			e.currency = c
		}
	}
	for _, prefix := range prefixes {
		r, ok, err := readRates(lookup, prefix)
		errs = append(errs, err)
		if ok {
			e.rates[prefix] = r
		}
	}
	return e, errors.Join(errs...)
}

// readRates reads the price variables of one prefix. Input and output are
// set together or not at all; the cached-input and cache-write prices are
// optional additions to them. An empty value counts as unset.
func readRates(lookup func(string) (string, bool), prefix string) (Rates, bool, error) {
	get := func(suffix string) (string, bool) {
		v, ok := lookup(prefix + suffix)
		if !ok || strings.TrimSpace(v) == "" {
			return "", false
		}
		return v, true
	}
	var errs []error
	parse := func(suffix, v string) *decimal.Decimal {
		d, err := ParsePrice(v)
		if err != nil {
			errs = append(errs, &VariableError{Name: prefix + suffix, Value: v, Reason: err.Error()})
			return nil
		}
		return &d
	}
	in, inOK := get(suffixInput)
	out, outOK := get(suffixOutput)
	cached, cachedOK := get(suffixCachedInput)
	write, writeOK := get(suffixCacheWrite)
	if !inOK && !outOK {
		for _, extra := range []struct {
			suffix, v string
			ok        bool
		}{{suffixCachedInput, cached, cachedOK}, {suffixCacheWrite, write, writeOK}} {
			if extra.ok {
				errs = append(errs, &VariableError{Name: prefix + extra.suffix, Value: extra.v,
					Reason: "set without " + prefix + suffixInput + " and " + prefix + suffixOutput})
			}
		}
		return Rates{}, false, errors.Join(errs...)
	}
	if !inOK || !outOK {
		missing, present, v := prefix+suffixOutput, prefix+suffixInput, in
		if !inOK {
			missing, present, v = prefix+suffixInput, prefix+suffixOutput, out
		}
		return Rates{}, false, &VariableError{Name: present, Value: v, Reason: "set without " + missing + ": set both"}
	}
	var r Rates
	if d := parse(suffixInput, in); d != nil {
		r.Input = *d
	}
	if d := parse(suffixOutput, out); d != nil {
		r.Output = *d
	}
	if cachedOK {
		r.CachedInput = parse(suffixCachedInput, cached)
	}
	if writeOK {
		r.CacheWrite = parse(suffixCacheWrite, write)
	}
	if err := errors.Join(errs...); err != nil {
		return Rates{}, false, err
	}
	return r, true, nil
}

// find returns the most specific price variables for provider/model: the
// model's own ({PROVIDER}_{MODEL_KEY}), then those of the names it extends
// with a dated suffix, then the seed's gpt-4 family alias, then the
// provider-wide ones ({PROVIDER}; DEEPSEEK_* is one of these).
func (e envPrices) find(provider, model string) (Rates, bool) {
	for _, name := range candidates(model) {
		if r, ok := e.rates[modelPrefix(provider, name)]; ok {
			return r, true
		}
	}
	if provider == "openai" && isGPT4Family(model) {
		if r, ok := e.rates[envGPT4]; ok {
			return r, true
		}
	}
	r, ok := e.rates[EnvKey(provider)]
	return r, ok
}
