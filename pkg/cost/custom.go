package cost

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/event"
)

// CustomPrice converts a call's custom pricing (SPEC §5 api_parameter) to a
// Price per 1,000 tokens. A missing currency is defaultCurrency (the
// Pricer's COST_CURRENCY); "RMB" is accepted as CNY. It reports every
// unusable field, naming it as the event does ("custom_pricing.input_price").
func CustomPrice(c *event.CustomPricing, defaultCurrency string) (Price, error) {
	var errs []error
	bad := func(field, reason string) {
		errs = append(errs, fmt.Errorf("%w: custom_pricing.%s: %s", ErrInvalidPrice, field, reason))
	}
	parse := func(field string, n json.Number, required bool) *decimal.Decimal {
		if n == "" {
			if required {
				bad(field, "required")
			}
			return nil
		}
		d, err := ParsePrice(n.String())
		if err != nil {
			bad(field, fmt.Sprintf("%q: %v", n.String(), err))
			return nil
		}
		return &d
	}
	p := Price{Unit: envUnit, Source: "custom_pricing"}
	if d := parse("input_price", c.InputPrice, true); d != nil {
		p.Input = *d
	}
	if d := parse("output_price", c.OutputPrice, true); d != nil {
		p.Output = *d
	}
	p.CachedInput = parse("cached_input_price", c.CachedInputPrice, false)
	p.CacheWrite = parse("cache_write_price", c.CacheWritePrice, false)
	currency := c.Currency
	if currency == "" {
		currency = defaultCurrency
	}
	if cur, err := NormalizeCurrency(currency); err != nil {
		bad("currency", err.Error())
	} else {
		p.Currency = cur
	}
	if err := errors.Join(errs...); err != nil {
		return Price{}, err
	}
	return p, nil
}
