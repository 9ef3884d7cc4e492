package pricing

import (
	"errors"
	"fmt"
	"time"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
)

// Coster prices a call (implemented by *Pricer, *Live and *cost.Pricer).
type Coster = cost.Coster

// Pricer is a cost.Pricer whose dynamic prices are a history of entries,
// tombstones included. Immutable and safe for concurrent use.
type Pricer struct {
	full     *cost.Pricer // every source; dynamic = the entries that are prices
	fallback *cost.Pricer // every source but dynamic, for calls a tombstone hands down
	dynamic  locator      // which entry is in effect for a call
	byID     map[int64]Entry
}

// NewPricer returns a pricer over opts (environment and table) with entries
// as its dynamic prices; opts.Dynamic must be empty. An invalid entry is an
// error naming it, as pkg/cost names invalid prices.
func NewPricer(opts cost.Options, entries []Entry) (*Pricer, error) {
	if len(opts.Dynamic) > 0 {
		return nil, errors.New("pricing: pass dynamic prices as entries, not cost.Options.Dynamic")
	}
	live := inForce(entries)
	p := &Pricer{byID: make(map[int64]Entry, len(live))}
	keys := make([]locKey, 0, len(live))
	var errs []error
	for _, e := range live {
		if e.ID < 0 {
			errs = append(errs, fmt.Errorf("dynamic price %s/%s: negative id %d", e.Provider, e.Model, e.ID))
			continue
		}
		if err := e.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("dynamic price %s %s/%s: %w", e.Origin(), e.Provider, e.Model, err))
			continue
		}
		p.byID[e.ID] = e
		keys = append(keys, locKey{provider: e.Provider, model: e.Model, effectiveFrom: e.EffectiveFrom, id: e.ID, flag: e.Removed})
		if !e.Removed {
			opts.Dynamic = append(opts.Dynamic, e.price())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%w: %w", cost.ErrInvalidPrice, err)
	}
	var err error
	if p.full, err = cost.NewPricer(opts); err != nil {
		return nil, err
	}
	if len(opts.Dynamic) < len(keys) { // there are tombstones
		opts.Dynamic = nil
		if p.fallback, err = cost.NewPricer(opts); err != nil {
			return nil, err
		}
	}
	if p.dynamic, err = newLocator(keys); err != nil {
		return nil, fmt.Errorf("dynamic prices: %w", err)
	}
	return p, nil
}

// Cost prices a call as cost.Pricer.Cost does, except that a call whose
// dynamic entry in effect is a tombstone is priced by the sources below
// dynamic. Custom pricing (api_parameter) still wins over everything.
func (p *Pricer) Cost(provider, model string, t time.Time, u parse.Usage, custom *event.CustomPricing) cost.Info {
	if custom == nil && p.fallback != nil {
		if e, ok := p.DynamicAt(provider, model, t); ok && e.Removed {
			return p.fallback.Cost(provider, model, t, u, custom)
		}
	}
	return p.full.Cost(provider, model, t, u, custom)
}

// DynamicAt returns the dynamic entry in effect for a call to
// provider/model at t, a tombstone included; ok is false when there is none.
func (p *Pricer) DynamicAt(provider, model string, t time.Time) (Entry, bool) {
	id, _, ok := p.dynamic.find(normalizeName(provider), normalizeName(model), t)
	if !ok {
		return Entry{}, false
	}
	e, ok := p.byID[id]
	return e, ok
}

// Currency returns the configured COST_CURRENCY (default CNY).
func (p *Pricer) Currency() string { return p.full.Currency() }
