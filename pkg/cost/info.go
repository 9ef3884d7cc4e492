package cost

import (
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
