package pricing

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/parse"
)

// Sources are what a pricer is built from: the dynamic entries, the
// environment (read through Lookup; Environ lists its names, as
// os.Environ does) and the price table.
type Sources struct {
	Entries []Entry
	Lookup  func(string) (string, bool)
	Environ []string
	Table   []cost.Price // nil: the builtin table
}

func (s Sources) options() cost.Options {
	return cost.Options{Lookup: s.Lookup, Environ: s.Environ, Table: s.Table}
}

// Pricer builds the pricer of these sources, as the ingestor does.
func (s Sources) Pricer() (*Pricer, error) { return NewPricer(s.options(), s.Entries) }

func (s Sources) table() ([]cost.Price, error) {
	if s.Table != nil {
		return s.Table, nil
	}
	return cost.BuiltinTable()
}

// Quote is a rate card: unit prices per Unit tokens in Currency. A nil
// CachedInput or CacheWrite bills those tokens at Input.
type Quote struct {
	Currency    string           `json:"currency,omitempty"`
	Unit        int64            `json:"unit,omitempty"`
	Input       *decimal.Decimal `json:"input,omitempty"`
	CachedInput *decimal.Decimal `json:"cached_input,omitempty"`
	CacheWrite  *decimal.Decimal `json:"cache_write,omitempty"`
	Output      *decimal.Decimal `json:"output,omitempty"`
}

func quoteOfRates(currency string, unit int64, r cost.Rates) Quote {
	in, out := r.Input, r.Output
	return Quote{Currency: currency, Unit: unit, Input: &in, Output: &out, CachedInput: r.CachedInput, CacheWrite: r.CacheWrite}
}

func quoteOfInfo(k cost.Info) Quote {
	return Quote{Currency: k.Currency, Unit: k.Unit, Input: k.InputPrice, Output: k.OutputPrice,
		CachedInput: k.CachedInputPrice, CacheWrite: k.CacheWritePrice}
}

func quoteOfEntry(e Entry) Quote {
	return Quote{Currency: e.Currency, Unit: e.Unit, Input: e.Input, Output: e.Output,
		CachedInput: e.CachedInput, CacheWrite: e.CacheWrite}
}

// Row is one price known to the pricer, for List.
type Row struct {
	Source   string `json:"source"` // dynamic, environment_variable or default_config
	Provider string `json:"provider,omitempty"`
	Model    string `json:"model,omitempty"` // "" for price variables that are not one model's
	// Scope says which calls price variables apply to when they are not
	// one model's ("every deepseek model without a more specific ...").
	Scope string `json:"scope,omitempty"`
	// Match is Scope in a word: "*" (every model of the provider), "gpt-4
	// family", "key GPT_5_5" (a model no table lists, by its variable key).
	Match string `json:"match,omitempty"`
	Quote
	EffectiveFrom *time.Time `json:"effective_from,omitempty"`
	// Origin: the entry ("#3"), the variables ("DEEPSEEK_*_PRICE") or the
	// table row's source (the vendor's pricing page).
	Origin string `json:"origin"`
	Note   string `json:"note,omitempty"`
	// Winner is the source that prices a call to Provider/Model at the
	// listing's time; Wins says whether that is this row. Both are empty
	// for variables that are not one model's.
	Winner string `json:"winner,omitempty"`
	Wins   bool   `json:"wins"`
}

// List returns every price in effect at `at` (the table's and the dynamic
// rows in effect then, the price variables set), of provider and model when
// set (variables of the provider that are not one model's are listed with
// any model), ordered by provider, model and precedence, each with the
// source that wins for its model.
func (s Sources) List(at time.Time, provider, model string) ([]Row, error) {
	provider, model = normalizeName(provider), normalizeName(model)
	p, err := s.Pricer()
	if err != nil {
		return nil, err
	}
	table, err := s.table()
	if err != nil {
		return nil, err
	}
	var rows []Row
	keep := func(r Row) bool {
		return (provider == "" || r.Provider == provider) && (model == "" || r.Model == model || r.Model == "")
	}
	current := map[[2]string]Entry{}       // the entry of each model in effect at `at`
	for _, e := range inForce(s.Entries) { // by effective date: the last one wins
		if !e.EffectiveFrom.After(at) {
			current[[2]string{e.Provider, e.Model}] = e
		}
	}
	for _, e := range current {
		if e.Removed {
			continue
		}
		eff := e.EffectiveFrom
		rows = append(rows, Row{Source: cost.SourceDynamic, Provider: e.Provider, Model: e.Model, Quote: quoteOfEntry(e),
			EffectiveFrom: &eff, Origin: e.Origin() + " (set " + e.SetAt.UTC().Format(time.RFC3339) + ")", Note: e.Note})
	}
	for _, ep := range s.envPrices(table) {
		rows = append(rows, Row{Source: cost.SourceEnvironmentVariable, Provider: ep.provider, Model: ep.model,
			Scope: ep.scope, Match: ep.match, Quote: quoteOfRates(p.Currency(), envUnit, ep.rates), Origin: ep.prefix + "_*_PRICE"})
	}
	for _, tp := range tableAt(table, at) {
		eff := tp.EffectiveFrom
		rows = append(rows, Row{Source: cost.SourceDefaultConfig, Provider: tp.Provider, Model: tp.Model,
			Quote: quoteOfRates(tp.Currency, tp.Unit, tp.Rates), EffectiveFrom: &eff, Origin: tp.Source, Note: rateNote(tp)})
	}
	out := rows[:0]
	for _, r := range rows {
		if !keep(r) {
			continue
		}
		if r.Provider != "" && r.Model != "" {
			r.Winner = p.Cost(r.Provider, r.Model, at, parse.Usage{}, nil).PricingSource
			r.Wins = r.Winner == r.Source
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Model, b.Model),
			cmp.Compare(precedence(a.Source), precedence(b.Source)), cmp.Compare(a.Origin, b.Origin))
	})
	return out, nil
}

// tableAt returns, of each (provider, model) of the table, the row in
// effect at t.
func tableAt(table []cost.Price, t time.Time) []cost.Price {
	type key struct{ provider, model string }
	cur := map[key]cost.Price{}
	for _, p := range table {
		if p.EffectiveFrom.After(t) {
			continue
		}
		k := key{p.Provider, p.Model}
		if old, ok := cur[k]; !ok || p.EffectiveFrom.After(old.EffectiveFrom) {
			cur[k] = p
		}
	}
	out := make([]cost.Price, 0, len(cur))
	for _, p := range cur {
		out = append(out, p)
	}
	return out
}

// rateNote describes a table row's tiers or windows.
func rateNote(p cost.Price) string {
	var parts []string
	for _, t := range p.Tiers {
		parts = append(parts, fmt.Sprintf("above %d prompt tokens: input %s, output %s", t.AbovePromptTokens, t.Input, t.Output))
	}
	for _, w := range p.Windows {
		parts = append(parts, fmt.Sprintf("%s-%s UTC: input %s, output %s", clock(w.Start), clock(w.End), w.Input, w.Output))
	}
	return strings.Join(parts, "; ")
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}

// precedence orders sources, highest first (SPEC §5).
func precedence(source string) int {
	return slices.Index([]string{cost.SourceAPIParameter, cost.SourceDynamic, cost.SourceEnvironmentVariable,
		cost.SourceDefaultConfig, cost.SourceNotFound}, source)
}
