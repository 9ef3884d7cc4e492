package cost

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// FX holds configured exchange rates: FX{{"USD", "CNY"}: 7.1} converts one
// USD into 7.1 CNY. Amounts in different currencies are never added
// without one (SPEC §5).
type FX map[[2]string]decimal.Decimal

// FXVariable returns the name of the variable holding the rate from one
// currency to another: FXVariable("USD", "CNY") is "HARBORAI_FX_USD_CNY".
func FXVariable(from, to string) string {
	return "HARBORAI_FX_" + from + "_" + to
}

// LoadFX reads every HARBORAI_FX_{FROM}_{TO} variable of two [Currencies]
// through lookup (nil reads none). A rate must be a positive decimal; every
// bad variable is reported.
func LoadFX(lookup func(key string) (string, bool)) (FX, error) {
	fx := FX{}
	if lookup == nil {
		return fx, nil
	}
	var errs []error
	for _, from := range Currencies() {
		for _, to := range Currencies() {
			if from == to {
				continue
			}
			name := FXVariable(from, to)
			v, ok := lookup(name)
			if !ok || strings.TrimSpace(v) == "" {
				continue
			}
			rate, err := ParsePrice(v)
			if err == nil && rate.IsZero() {
				err = errors.New("zero")
			}
			if err != nil {
				errs = append(errs, &VariableError{Name: name, Value: v, Reason: err.Error() + ", want a positive exchange rate"})
				continue
			}
			fx[[2]string{from, to}] = rate
		}
	}
	return fx, errors.Join(errs...)
}

// Convert converts amount from one currency to another with the configured
// rate, or the inverse of the opposite rate (then rounded half away from
// zero to Scale places). Same currency returns amount unchanged; no rate
// gives ErrNoRate.
func (fx FX) Convert(amount decimal.Decimal, from, to string) (decimal.Decimal, error) {
	if from == to {
		return amount, nil
	}
	if rate, ok := fx[[2]string{from, to}]; ok {
		return amount.Mul(rate), nil
	}
	if rate, ok := fx[[2]string{to, from}]; ok && !rate.IsZero() {
		return amount.DivRound(rate, Scale), nil
	}
	return decimal.Decimal{}, fmt.Errorf("%w from %s to %s (set %s)", ErrNoRate, from, to, FXVariable(from, to))
}

// Totals sums costs per currency for statistics; it never adds two
// currencies together. The zero value is not usable: make one with
// Totals{}.
type Totals map[string]decimal.Decimal

// Add adds the total cost of a call to its currency; a call without a cost
// is skipped and reported false.
func (t Totals) Add(info Info) bool {
	if info.TotalCost == nil || info.Currency == "" {
		return false
	}
	t[info.Currency] = t[info.Currency].Add(*info.TotalCost)
	return true
}

// In returns the sum of every currency converted to currency with fx. It
// fails with ErrNoRate when a currency has no configured rate, rather than
// adding amounts of different currencies.
func (t Totals) In(currency string, fx FX) (decimal.Decimal, error) {
	var sum decimal.Decimal
	var errs []error
	for _, c := range slices.Sorted(maps.Keys(t)) {
		v, err := fx.Convert(t[c], c, currency)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sum = sum.Add(v)
	}
	if err := errors.Join(errs...); err != nil {
		return decimal.Decimal{}, err
	}
	return sum, nil
}
