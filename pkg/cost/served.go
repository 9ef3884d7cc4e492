package cost

import (
	"time"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
)

// Coster prices a call by a model name: *Pricer, or a wrapper of one (the
// ingestor's live prices).
type Coster interface {
	Cost(provider, model string, t time.Time, u parse.Usage, custom *event.CustomPricing) Info
}

// CostServed prices a call by the model it asked for (requested), or by the
// model the vendor says served it (served, read from the response) when no
// source prices the requested name: an Azure deployment name, which the
// app chooses, or an alias no table lists. A requested name that is priced
// always wins, so a price set for it (a custom price, a variable, a
// dynamic price) is never bypassed; an empty requested name is the served
// one.
func CostServed(p Coster, provider, requested, served string, t time.Time, u parse.Usage, custom *event.CustomPricing) Info {
	if requested == "" {
		requested = served
	}
	info := p.Cost(provider, requested, t, u, custom)
	if info.PricingSource != SourceNotFound || served == "" || served == requested {
		return info
	}
	if alt := p.Cost(provider, served, t, u, custom); alt.PricingSource != SourceNotFound {
		return alt
	}
	return info
}
