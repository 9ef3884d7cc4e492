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
// price was found (PricingSource == SourceNotFound) or when the call reported
// no usage: never a silent zero.
type Info struct {
	InputCost        *decimal.Decimal `json:"input_cost"`
	OutputCost       *decimal.Decimal `json:"output_cost"`
	TotalCost        *decimal.Decimal `json:"total_cost"`
	Currency         string           `json:"currency,omitempty"`
	PricingSource    string           `json:"pricing_source"`
	PricingTimestamp time.Time        `json:"pricing_timestamp"`

	// The unit prices charged, per Unit tokens.
	Unit             int64            `json:"unit,omitempty"`
	InputPrice       *decimal.Decimal `json:"input_price,omitempty"`
	CachedInputPrice *decimal.Decimal `json:"cached_input_price,omitempty"`
	CacheWritePrice  *decimal.Decimal `json:"cache_write_price,omitempty"`
	OutputPrice      *decimal.Decimal `json:"output_price,omitempty"`
}
