package pricing

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/parse"
)

// The price variables' names (docs/pricing.md): PREFIX + suffix, where
// PREFIX is {PROVIDER}_{MODEL_KEY}, {PROVIDER} or the seed's OPENAI_GPT4.
const (
	gpt4Prefix = "OPENAI_GPT4"
	envUnit    = 1000 // price variables are per 1,000 tokens
)

var envSuffixes = []string{"_CACHED_INPUT_PRICE", "_CACHE_WRITE_PRICE", "_INPUT_PRICE", "_OUTPUT_PRICE"}

// envPrice is one set of price variables as the pricer reads them.
type envPrice struct {
	prefix          string
	provider, model string // model "" when the variables are not one known model's
	scope           string // which calls they apply to, when model is ""
	match           string // scope in a word: "*", "gpt-4 family", "key GPT_5_5"
	rates           cost.Rates
}

// envPrices returns the price variables set in the environment, read
// through s.Lookup: those named in s.Environ and those of the known
// providers and of the models of the table and the entries (what
// cost.NewPricer reads). Unusable variables are skipped: NewPricer reports
// them.
func (s Sources) envPrices(table []cost.Price) []envPrice {
	if s.Lookup == nil {
		return nil
	}
	providers := map[string]string{} // EnvKey(provider) -> provider
	models := map[string][2]string{} // EnvKey(provider)_EnvKey(model) -> provider, model
	for _, p := range parse.Providers() {
		providers[cost.EnvKey(p)] = p
	}
	addModel := func(provider, model string) {
		providers[cost.EnvKey(provider)] = provider
		if k := modelPrefix(provider, model); models[k] == ([2]string{}) {
			models[k] = [2]string{provider, model}
		}
	}
	sorted := slices.Clone(table)
	slices.SortFunc(sorted, func(a, b cost.Price) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Model, b.Model))
	})
	for _, p := range sorted {
		addModel(p.Provider, p.Model)
	}
	for _, e := range s.Entries {
		addModel(e.Provider, e.Model)
	}
	prefixes := map[string]bool{gpt4Prefix: true}
	for k := range providers {
		prefixes[k] = true
	}
	for k := range models {
		prefixes[k] = true
	}
	for _, kv := range s.Environ {
		name, _, _ := strings.Cut(kv, "=")
		for _, suffix := range envSuffixes {
			if prefix, ok := strings.CutSuffix(name, suffix); ok && prefix != "" {
				prefixes[prefix] = true
				break
			}
		}
	}
	// Provider keys, longest first, to split PROVIDER_MODELKEY prefixes.
	providerKeys := make([]string, 0, len(providers))
	for k := range providers {
		providerKeys = append(providerKeys, k)
	}
	slices.SortFunc(providerKeys, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b)) })

	var out []envPrice
	for _, prefix := range slices.Sorted(maps.Keys(prefixes)) {
		r, ok := s.readRates(prefix)
		if !ok {
			continue
		}
		ep := envPrice{prefix: prefix, rates: r}
		switch pm, isModel := models[prefix]; {
		case prefix == gpt4Prefix:
			ep.provider, ep.match = "openai", "gpt-4 family"
			ep.scope = "the gpt-4 family: gpt-4 and gpt-4-* (not gpt-4o, gpt-4.1, gpt-4.5)"
		case providers[prefix] != "":
			ep.provider, ep.match = providers[prefix], "*"
			ep.scope = "every " + providers[prefix] + " model without a more specific price variable"
		case isModel:
			ep.provider, ep.model = pm[0], pm[1]
		default:
			ep.match, ep.scope = "key "+prefix, "calls whose provider, or provider and model, upper-cased with - and . as _, are "+prefix
			for _, pk := range providerKeys {
				if rest, ok := strings.CutPrefix(prefix, pk+"_"); ok {
					ep.provider, ep.match = providers[pk], "key "+rest
					ep.scope = "models whose name, upper-cased with - and . as _, is " + rest
					break
				}
			}
		}
		out = append(out, ep)
	}
	return out
}

// readRates reads the price variables of prefix: input and output set and
// usable, the optional ones usable when set.
func (s Sources) readRates(prefix string) (cost.Rates, bool) {
	get := func(suffix string) (string, bool) {
		v, ok := s.Lookup(prefix + suffix)
		if !ok || strings.TrimSpace(v) == "" {
			return "", false
		}
		return v, true
	}
	in, inOK := get("_INPUT_PRICE")
	out, outOK := get("_OUTPUT_PRICE")
	if !inOK || !outOK {
		return cost.Rates{}, false
	}
	var r cost.Rates
	var err error
	if r.Input, err = cost.ParsePrice(in); err != nil {
		return cost.Rates{}, false
	}
	if r.Output, err = cost.ParsePrice(out); err != nil {
		return cost.Rates{}, false
	}
	for _, f := range []struct {
		suffix string
		dst    **decimal.Decimal
	}{{"_CACHED_INPUT_PRICE", &r.CachedInput}, {"_CACHE_WRITE_PRICE", &r.CacheWrite}} {
		if v, ok := get(f.suffix); ok {
			d, err := cost.ParsePrice(v)
			if err != nil {
				return cost.Rates{}, false
			}
			*f.dst = &d
		}
	}
	return r, true
}

// modelPrefix is the variable prefix of a model: {PROVIDER}_{MODEL_KEY}.
func modelPrefix(provider, model string) string {
	return cost.EnvKey(provider) + "_" + cost.EnvKey(model)
}

// envOrigin names the variables that price provider/model among prices,
// the most specific first: the model's own, those of a name it extends
// (its key followed by "_"), the seed's gpt-4 alias, the provider's.
func envOrigin(prices []envPrice, provider, model string) (envPrice, bool) {
	own := modelPrefix(provider, model)
	pk := cost.EnvKey(provider) + "_"
	var best *envPrice
	for i, ep := range prices {
		extends := strings.HasPrefix(ep.prefix, pk) && strings.HasPrefix(own, ep.prefix+"_") // a base model's
		if ep.prefix != own && !extends {
			continue
		}
		if best == nil || len(ep.prefix) > len(best.prefix) {
			best = &prices[i]
		}
	}
	if best != nil {
		return *best, true
	}
	gpt4 := provider == "openai" && (model == "gpt-4" || strings.HasPrefix(model, "gpt-4-"))
	for _, ep := range prices {
		if gpt4 && ep.prefix == gpt4Prefix {
			return ep, true
		}
	}
	for _, ep := range prices {
		if ep.prefix == cost.EnvKey(provider) {
			return ep, true
		}
	}
	return envPrice{}, false
}
