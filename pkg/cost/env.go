package cost

import (
	"errors"
	"strings"

	"github.com/shopspring/decimal"
)

// envPrices are the price variables NewPricer found, by prefix:
// {PROVIDER}_{MODEL_KEY}, OPENAI_GPT4 and {PROVIDER}.
type envPrices struct {
	currency string
	rates    map[string]Rates
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
	orphan := func(suffix, v string) error {
		return &VariableError{Name: prefix + suffix, Value: v,
			Reason: "set without " + prefix + suffixInput + " and " + prefix + suffixOutput}
	}
	switch {
	case !inOK && !outOK:
		if cachedOK {
			errs = append(errs, orphan(suffixCachedInput, cached))
		}
		if writeOK {
			errs = append(errs, orphan(suffixCacheWrite, write))
		}
		return Rates{}, false, errors.Join(errs...)
	case !inOK:
		return Rates{}, false, &VariableError{Name: prefix + suffixOutput, Value: out,
			Reason: "set without " + prefix + suffixInput + ": set both"}
	case !outOK:
		return Rates{}, false, &VariableError{Name: prefix + suffixInput, Value: in,
			Reason: "set without " + prefix + suffixOutput + ": set both"}
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
	if len(e.rates) == 0 {
		return Rates{}, false
	}
	var buf [4]string
	for _, name := range appendCandidates(buf[:0], model) {
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
