package pricing

import (
	"fmt"
	"strings"
	"time"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/parse"
)

// Explanation says which source prices a call to Provider/Model made at At,
// and what each source would have charged.
type Explanation struct {
	Provider string    `json:"provider"`
	Model    string    `json:"model"`
	At       time.Time `json:"at"`
	// Winner is the pricing_source such a call gets (not_found when none).
	Winner string `json:"winner"`
	// Price is the winner's rate card (rates of a time-of-day window
	// included when At falls in one); empty when not found.
	Price  Quote  `json:"price"`
	Reason string `json:"reason"`
	// Candidates are the configured sources, highest precedence first.
	Candidates []Candidate `json:"candidates"`
}

// Candidate is what one source says about a model.
type Candidate struct {
	Source        string     `json:"source"`
	Found         bool       `json:"found"`
	Price         Quote      `json:"price,omitzero"`
	EffectiveFrom *time.Time `json:"effective_from,omitempty"`
	Origin        string     `json:"origin,omitempty"`
	Note          string     `json:"note,omitempty"`
	Wins          bool       `json:"wins"`
}

// Explain explains the price of a call to provider/model at `at`.
func (s Sources) Explain(provider, model string, at time.Time) (Explanation, error) {
	provider, model = normalizeName(provider), normalizeName(model)
	at = at.UTC()
	p, err := s.Pricer()
	if err != nil {
		return Explanation{}, err
	}
	table, err := s.table()
	if err != nil {
		return Explanation{}, err
	}
	envOnly, err := cost.NewPricer(cost.Options{Lookup: s.Lookup, Environ: s.Environ, Table: []cost.Price{}})
	if err != nil {
		return Explanation{}, err
	}
	tableOnly, err := cost.NewPricer(cost.Options{Table: table})
	if err != nil {
		return Explanation{}, err
	}
	info := p.Cost(provider, model, at, parse.Usage{}, nil)
	x := Explanation{Provider: provider, Model: model, At: at, Winner: info.PricingSource}
	if info.PricingSource != cost.SourceNotFound {
		x.Price = quoteOfInfo(info)
	}

	dyn := Candidate{Source: cost.SourceDynamic}
	if e, ok := p.DynamicAt(provider, model, at); ok {
		eff := e.EffectiveFrom
		dyn.EffectiveFrom, dyn.Origin, dyn.Note = &eff, e.Origin()+" (set "+e.SetAt.UTC().Format(time.RFC3339)+")", e.Note
		if e.Removed {
			dyn.Note = strings.TrimSpace("removed (harborctl pricing unset) " + e.Note)
		} else {
			dyn.Found, dyn.Price = true, quoteOfEntry(e)
			if e.Model != model {
				dyn.Note = strings.TrimSpace("matched by its base model " + e.Model + ". " + e.Note)
			}
		}
	}

	env := Candidate{Source: cost.SourceEnvironmentVariable}
	if k := envOnly.Cost(provider, model, at, parse.Usage{}, nil); k.PricingSource == cost.SourceEnvironmentVariable {
		env.Found, env.Price = true, quoteOfInfo(k)
		env.Origin = "price variables (per 1,000 tokens, COST_CURRENCY " + k.Currency + ")"
		if ep, ok := envOrigin(s.envPrices(table), provider, model); ok {
			env.Origin = ep.prefix + "_*_PRICE (per 1,000 tokens, COST_CURRENCY " + k.Currency + ")"
		}
	}

	def := Candidate{Source: cost.SourceDefaultConfig}
	if k := tableOnly.Cost(provider, model, at, parse.Usage{}, nil); k.PricingSource == cost.SourceDefaultConfig {
		def.Found, def.Price = true, quoteOfInfo(k)
		if row, ok := tableRowAt(table, provider, model, at); ok {
			eff := row.EffectiveFrom
			def.EffectiveFrom, def.Origin, def.Note = &eff, row.Source, rateNote(row)
			if row.Model != model {
				def.Note = strings.TrimSpace("matched by its base model " + row.Model + ". " + def.Note)
			}
		}
	}
	x.Candidates = []Candidate{dyn, env, def}
	for i := range x.Candidates {
		x.Candidates[i].Wins = x.Candidates[i].Found && x.Candidates[i].Source == x.Winner
	}
	x.Reason = reason(x, dyn)
	return x, nil
}

// tableRowAt returns the table row that prices provider/model at t, with
// pkg/cost's matching (see locator).
func tableRowAt(table []cost.Price, provider, model string, t time.Time) (cost.Price, bool) {
	keys := make([]locKey, len(table))
	for i, p := range table {
		keys[i] = locKey{provider: p.Provider, model: p.Model, effectiveFrom: p.EffectiveFrom, id: int64(i)}
	}
	loc, err := newLocator(keys)
	if err != nil {
		return cost.Price{}, false
	}
	i, _, ok := loc.find(provider, model, t)
	if !ok {
		return cost.Price{}, false
	}
	return table[i], true
}

// reason says in a sentence why the winner wins.
func reason(x Explanation, dyn Candidate) string {
	const custom = " A call's own custom_pricing (api_parameter) overrides every source, for that call only."
	removed := ""
	if !dyn.Found && dyn.Origin != "" {
		removed = fmt.Sprintf(" (the dynamic price was removed by %s from %s)", dyn.Origin, dyn.EffectiveFrom.Format(time.RFC3339))
	}
	switch x.Winner {
	case cost.SourceDynamic:
		return fmt.Sprintf("dynamic wins: price %s is in effect from %s, and dynamic prices override price variables and the builtin table.%s",
			dyn.Origin, dyn.EffectiveFrom.Format(time.RFC3339), custom)
	case cost.SourceEnvironmentVariable:
		return fmt.Sprintf("environment_variable wins: there is no dynamic price%s, and price variables override the builtin table.%s", removed, custom)
	case cost.SourceDefaultConfig:
		return fmt.Sprintf("default_config wins: there is no dynamic price%s and no price variable for this model, so the builtin table prices it.%s", removed, custom)
	default:
		return fmt.Sprintf("not_found: no source prices %s/%s at %s%s; such calls get a null cost (never 0) until a price is set and they are re-priced.%s",
			x.Provider, x.Model, x.At.Format(time.RFC3339), removed, custom)
	}
}
