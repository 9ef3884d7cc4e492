package cost

import (
	"errors"
	"slices"
	"time"
)

// priceIndex holds one source's prices by provider and model, each list
// sorted by EffectiveFrom.
type priceIndex map[indexKey][]Price

type indexKey struct{ provider, model string }

// newIndex validates and copies prices into an index.
func newIndex(prices []Price) (priceIndex, error) {
	var errs []error
	ix := priceIndex{}
	for _, p := range prices {
		if err := p.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		k := indexKey{p.Provider, p.Model}
		ix[k] = append(ix[k], p.clone())
	}
	errs = append(errs, checkDuplicates(prices))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, list := range ix {
		slices.SortFunc(list, func(a, b Price) int { return a.EffectiveFrom.Compare(b.EffectiveFrom) })
	}
	return ix, nil
}

// find returns the price of provider/model in effect at t: the exact model
// name first, then the names it extends with a dated suffix, longest
// first; for each, the price with the latest EffectiveFrom not after t.
func (ix priceIndex) find(provider, model string, t time.Time) (*Price, bool) {
	if len(ix) == 0 {
		return nil, false
	}
	var buf [4]string
	for _, name := range appendCandidates(buf[:0], model) {
		list := ix[indexKey{provider, name}]
		for i := len(list) - 1; i >= 0; i-- {
			if !list[i].EffectiveFrom.After(t) {
				return &list[i], true
			}
		}
	}
	return nil, false
}
