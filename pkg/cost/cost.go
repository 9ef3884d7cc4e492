package cost

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
)

// Cost prices usage u of a call to provider/model made at t (the time of
// day and effective date prices are chosen by). custom, when set, prices
// this call only (api_parameter); otherwise the dynamic prices, the price
// variables and the table are tried in that order.
//
// provider may be an alias pkg/parse accepts ("kimi", "claude", "google"):
// prices stated under the name as given are tried first, then those of its
// canonical provider.
//
// The result always says where the price came from. Its costs are nil when
// no source prices the model (PricingSource "not_found"), when the usage
// lacks prompt or completion tokens (the unit prices are still reported), or
// when the usage or the custom pricing cannot be used (PricingError says why).
func (p *Pricer) Cost(provider, model string, t time.Time, u parse.Usage, custom *event.CustomPricing) Info {
	provider, model = normalizeName(provider), normalizeName(model)
	info := Info{PricingSource: SourceNotFound, PricingTimestamp: t.UTC()}
	price, source, err := p.lookup(provider, model, t, custom)
	if err == nil && price == nil {
		if canonical, known := parse.CanonicalProvider(provider); known && canonical != provider {
			price, source, err = p.lookup(canonical, model, t, custom)
		}
	}
	if err != nil {
		info.PricingSource = source
		info.PricingError = err.Error()
		return info
	}
	if price == nil {
		return info
	}
	rates := price.ratesFor(t, u.PromptTokens)
	info.PricingSource = source
	info.Currency = price.Currency
	info.Unit = price.Unit
	info.InputPrice = copyOf(rates.Input)
	info.OutputPrice = copyOf(rates.Output)
	info.CachedInputPrice = clonePtr(rates.CachedInput)
	info.CacheWritePrice = clonePtr(rates.CacheWrite)
	if u.PromptTokens == nil || u.CompletionTokens == nil {
		return info
	}
	in, out, err := amounts(u, rates, price.Unit)
	if err != nil {
		info.PricingError = err.Error()
		return info
	}
	total := in.Add(out)
	info.InputCost, info.OutputCost, info.TotalCost = &in, &out, &total
	return info
}

// lookup finds the price of a call and the source it came from, in the
// order of SPEC §5. A nil price with a nil error means not found.
func (p *Pricer) lookup(provider, model string, t time.Time, custom *event.CustomPricing) (*Price, string, error) {
	if custom != nil {
		pr, err := CustomPrice(custom, p.currency)
		if err != nil {
			return nil, SourceAPIParameter, err
		}
		return &pr, SourceAPIParameter, nil
	}
	if pr, ok := p.dynamic.find(provider, model, t); ok {
		return pr, SourceDynamic, nil
	}
	if r, ok := p.env.find(provider, model); ok {
		return &Price{Currency: p.env.currency, Unit: envUnit, Rates: r}, SourceEnvironmentVariable, nil
	}
	if pr, ok := p.table.find(provider, model, t); ok {
		return pr, SourceDefaultConfig, nil
	}
	return nil, SourceNotFound, nil
}

// copyOf returns a pointer to a copy of d, so that no Info shares memory
// with the Pricer's prices.
func copyOf(d decimal.Decimal) *decimal.Decimal { return &d }
