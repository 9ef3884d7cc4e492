package cost

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// maxPriceText bounds the length of a price's text, and maxPriceExponent the
// magnitude of its decimal exponent, so that a typo such as "1e999999" fails
// instead of allocating a huge number.
const (
	maxPriceText     = 64
	maxPriceExponent = 40
)

// ParsePrice parses a unit price written as a decimal number ("0.002",
// "2.5", "1e-3"): exact, never through float64. It rejects empty text,
// anything that is not a number, and negative prices.
func ParsePrice(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return decimal.Decimal{}, fmt.Errorf("empty, want a non-negative decimal number")
	case len(s) > maxPriceText:
		return decimal.Decimal{}, fmt.Errorf("longer than %d characters", maxPriceText)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("not a decimal number")
	}
	if exp := d.Exponent(); exp > maxPriceExponent || exp < -maxPriceExponent {
		return decimal.Decimal{}, fmt.Errorf("exponent out of range")
	}
	if d.IsNegative() {
		return decimal.Decimal{}, fmt.Errorf("negative")
	}
	return d, nil
}

// Currencies returns the currency codes prices may be stated in (ISO 4217).
// The builtin table uses CNY for Chinese vendors and USD for the others.
func Currencies() []string {
	return []string{"CNY", "USD", "EUR", "GBP", "HKD", "JPY"}
}

// NormalizeCurrency returns the canonical code of currency: upper-cased,
// with the seed's "RMB" accepted as "CNY" (SPEC §14.3). It fails with
// ErrUnknownCurrency for a code not in [Currencies].
func NormalizeCurrency(currency string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(currency))
	if c == "RMB" {
		c = "CNY"
	}
	for _, k := range Currencies() {
		if c == k {
			return c, nil
		}
	}
	return "", fmt.Errorf("%w %q (want one of %s; RMB is accepted as CNY)",
		ErrUnknownCurrency, currency, strings.Join(Currencies(), ", "))
}
