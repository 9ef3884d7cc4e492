package cost

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Pricing sources, highest precedence first (SPEC §5).
const (
	SourceAPIParameter        = "api_parameter"
	SourceDynamic             = "dynamic"
	SourceEnvironmentVariable = "environment_variable"
	SourceDefaultConfig       = "default_config"
	SourceNotFound            = "not_found"
)

// Info is the seed's cost_info block of one call. The costs are nil when no
// price was found (PricingSource == SourceNotFound), when the call reported
// no prompt or completion tokens, or when PricingError says the price or the
// usage could not be used: never a silent zero. When set, InputCost and
// OutputCost have Scale (12) decimal places and TotalCost is exactly their
// sum; PricingTimestamp is the call's time the price was chosen for.
type Info struct {
	InputCost        *decimal.Decimal `json:"input_cost"`
	OutputCost       *decimal.Decimal `json:"output_cost"`
	TotalCost        *decimal.Decimal `json:"total_cost"`
	Currency         string           `json:"currency,omitempty"`
	PricingSource    string           `json:"pricing_source"`
	PricingTimestamp time.Time        `json:"pricing_timestamp"`

	// PricingError says why a found price gave no cost: unusable custom
	// pricing, or token counts that contradict each other.
	PricingError string `json:"pricing_error,omitempty"`

	// The unit prices charged, per Unit tokens. A nil CachedInputPrice or
	// CacheWritePrice means those tokens were billed at InputPrice.
	Unit             int64            `json:"unit,omitempty"`
	InputPrice       *decimal.Decimal `json:"input_price,omitempty"`
	CachedInputPrice *decimal.Decimal `json:"cached_input_price,omitempty"`
	CacheWritePrice  *decimal.Decimal `json:"cache_write_price,omitempty"`
	OutputPrice      *decimal.Decimal `json:"output_price,omitempty"`
}

// MarshalJSON writes each amount with every decimal place it has, trailing
// zeros included: a cost computed to Scale places reads back as computed,
// and a call stored from its JSON (a spooled call the replayer loads) reads
// in PostgreSQL as the same call stored directly (0.000015000000, not
// 0.000015). decimal.Decimal's own encoding drops trailing zeros.
func (i Info) MarshalJSON() ([]byte, error) {
	type plain Info // without this method
	return json.Marshal(struct {
		plain
		InputCost        *exact `json:"input_cost"`
		OutputCost       *exact `json:"output_cost"`
		TotalCost        *exact `json:"total_cost"`
		InputPrice       *exact `json:"input_price,omitempty"`
		CachedInputPrice *exact `json:"cached_input_price,omitempty"`
		CacheWritePrice  *exact `json:"cache_write_price,omitempty"`
		OutputPrice      *exact `json:"output_price,omitempty"`
	}{
		plain(i),
		(*exact)(i.InputCost), (*exact)(i.OutputCost), (*exact)(i.TotalCost),
		(*exact)(i.InputPrice), (*exact)(i.CachedInputPrice), (*exact)(i.CacheWritePrice), (*exact)(i.OutputPrice),
	})
}

// exact is a decimal encoded as a JSON string with all of its decimal
// places.
type exact decimal.Decimal

func (e *exact) MarshalJSON() ([]byte, error) {
	d := (*decimal.Decimal)(e)
	s := d.String()
	if exp := d.Exponent(); exp < 0 {
		s = d.StringFixed(-exp)
	}
	return strconv.AppendQuote(nil, s), nil
}
