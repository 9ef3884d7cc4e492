package pricing

import (
	"cmp"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/parse"
)

// Statuses of an entry in a model's history, as of a time.
const (
	StatusCurrent    = "current"    // in effect now
	StatusPast       = "past"       // in effect before, replaced by a later effective date
	StatusScheduled  = "scheduled"  // effective in the future
	StatusSuperseded = "superseded" // another entry with the same effective date was set later; never in effect
)

// inForce returns the entries that can be in effect, sorted by provider,
// model, effective date: of entries sharing (provider, model,
// effective_from), only the one set last (highest ID).
func inForce(entries []Entry) []Entry {
	out := slices.Clone(entries)
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Model, b.Model),
			a.EffectiveFrom.Compare(b.EffectiveFrom), cmp.Compare(a.ID, b.ID))
	})
	n := 0
	for i, e := range out {
		if i+1 < len(out) && sameKey(e, out[i+1]) {
			continue // a later entry for the same instant replaces it
		}
		out[n] = e
		n++
	}
	return out[:n]
}

func sameKey(a, b Entry) bool {
	return a.Provider == b.Provider && a.Model == b.Model && a.EffectiveFrom.Equal(b.EffectiveFrom)
}

// Statuses returns the status of every entry as of now, by ID: which one is
// the current price (or tombstone) of its model, which were, which will be,
// and which were superseded by a later entry for the same effective date.
func Statuses(entries []Entry, now time.Time) map[int64]string {
	st := make(map[int64]string, len(entries))
	for _, e := range entries {
		st[e.ID] = StatusSuperseded
	}
	live := inForce(entries)
	for i, e := range live {
		switch {
		case e.EffectiveFrom.After(now):
			st[e.ID] = StatusScheduled
		case i+1 < len(live) && live[i+1].Provider == e.Provider && live[i+1].Model == e.Model &&
			!live[i+1].EffectiveFrom.After(now):
			st[e.ID] = StatusPast
		default:
			st[e.ID] = StatusCurrent
		}
	}
	return st
}

// locator finds which row of a price list is in effect for a call, with
// exactly the matching rules of pkg/cost (exact model name first, then the
// longest name it extends with a dated suffix; the latest effective date
// not after the call). It does so by pricing the call with a table whose
// rows are the list's keys, each "priced" at its row's ID as input price
// and its flag (a tombstone) as output price: the price found names the row.
type locator struct{ p *cost.Pricer }

type locKey struct {
	provider, model string
	effectiveFrom   time.Time
	id              int64 // >= 0
	flag            bool
}

func newLocator(keys []locKey) (locator, error) {
	table := make([]cost.Price, 0, len(keys))
	for _, k := range keys {
		out := decimal.Zero
		if k.flag {
			out = decimal.NewFromInt(1)
		}
		table = append(table, cost.Price{
			Provider: k.provider, Model: k.model, Currency: "USD", Unit: 1,
			Rates:         cost.Rates{Input: decimal.NewFromInt(k.id), Output: out},
			EffectiveFrom: k.effectiveFrom, Source: "locator",
		})
	}
	p, err := cost.NewPricer(cost.Options{Table: table})
	if err != nil {
		return locator{}, err
	}
	return locator{p: p}, nil
}

// find returns the ID and flag of the row in effect for a call to
// provider/model at t, or ok false when no row is.
func (l locator) find(provider, model string, t time.Time) (id int64, flag, ok bool) {
	info := l.p.Cost(provider, model, t, parse.Usage{}, nil)
	if info.InputPrice == nil || info.OutputPrice == nil {
		return 0, false, false
	}
	return info.InputPrice.IntPart(), info.OutputPrice.Sign() > 0, true
}
