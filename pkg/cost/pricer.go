package cost

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Options configure a Pricer. Keep them apart from the process: the
// environment is read through Lookup only, and only in NewPricer.
type Options struct {
	// Lookup reads an environment variable (os.LookupEnv in main); nil
	// reads none, so no environment_variable prices and COST_CURRENCY=CNY.
	Lookup func(key string) (string, bool)
	// Dynamic are prices set at runtime (pricing source "dynamic"), e.g.
	// loaded from PostgreSQL where harborctl pricing set stores them.
	Dynamic []Price
	// Table is the default_config table; nil means BuiltinTable().
	Table []Price
	// Environ is the process environment as os.Environ returns it. Only
	// its names are used, to find price variables of models and providers
	// that neither Dynamic nor Table lists (OPENAI_GPT_5_5_INPUT_PRICE);
	// values are read through Lookup. Without it, NewPricer reads the
	// variables of the models in Dynamic and Table, of the providers of
	// pkg/parse and the seed's OPENAI_GPT4_*.
	Environ []string
}

// Pricer prices calls. It is immutable once built and safe for concurrent
// use; nothing a call carries (custom pricing included) changes it.
type Pricer struct {
	dynamic  priceIndex
	env      envPrices
	table    priceIndex
	currency string // COST_CURRENCY: of price variables and currency-less custom pricing
}

// NewPricer builds a Pricer: it validates Dynamic and Table, reads the
// environment through Lookup once, and reports every problem at once
// (errors.Join), each naming the bad price row or variable.
func NewPricer(opts Options) (*Pricer, error) {
	table := opts.Table
	if table == nil {
		var err error
		if table, err = BuiltinTable(); err != nil {
			return nil, err
		}
	}
	var errs []error
	dynamic, err := newIndex(opts.Dynamic)
	if err != nil {
		errs = append(errs, fmt.Errorf("dynamic prices: %w", err))
	}
	defaults, err := newIndex(table)
	if err != nil {
		errs = append(errs, fmt.Errorf("price table: %w", err))
	}
	env, err := loadEnv(opts.Lookup, envPrefixes(opts, table))
	if err != nil {
		errs = append(errs, fmt.Errorf("price variables: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Pricer{dynamic: dynamic, env: env, table: defaults, currency: env.currency}, nil
}

// Currency returns the configured COST_CURRENCY (default CNY).
func (p *Pricer) Currency() string { return p.currency }

// envPrefixes returns the variable prefixes NewPricer reads, sorted: those
// of every known provider and of every model in the tables, the seed's
// OPENAI_GPT4, and every prefix of a price variable named in Environ.
func envPrefixes(opts Options, table []Price) []string {
	set := map[string]bool{envGPT4: true}
	for _, provider := range knownProviders() {
		set[EnvKey(provider)] = true
	}
	for _, prices := range [][]Price{opts.Dynamic, table} {
		for _, pr := range prices {
			set[EnvKey(pr.Provider)] = true
			set[modelPrefix(pr.Provider, pr.Model)] = true
		}
	}
	for _, kv := range opts.Environ {
		name, _, _ := strings.Cut(kv, "=")
		if prefix, ok := priceVariablePrefix(name); ok {
			set[prefix] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// normalizeName lower-cases and trims a provider or model name.
func normalizeName(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}
