package cost

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidPrice is matched (errors.Is) by every error about a price that
// cannot be used: a malformed price row, an invalid price variable.
var ErrInvalidPrice = errors.New("invalid price")

// ErrUnknownCurrency is matched by errors about a currency code that is not
// one of [Currencies].
var ErrUnknownCurrency = errors.New("unknown currency")

// ErrNoRate is returned when an amount must be converted between two
// currencies and no exchange rate is configured for them.
var ErrNoRate = errors.New("no exchange rate")

// VariableError is an environment variable whose value cannot be used.
type VariableError struct {
	Name   string // the variable, e.g. "DEEPSEEK_INPUT_PRICE"
	Value  string // its value as read (prices are not secrets)
	Reason string
}

func (e *VariableError) Error() string {
	return fmt.Sprintf("environment variable %s=%q: %s", e.Name, e.Value, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidPrice) true.
func (e *VariableError) Is(target error) bool { return target == ErrInvalidPrice }

// PriceError is a price row that cannot be used.
type PriceError struct {
	Provider      string
	Model         string
	EffectiveFrom time.Time
	Field         string // the offending field, e.g. "cached_input"
	Reason        string
}

func (e *PriceError) Error() string {
	at := "no effective date"
	if !e.EffectiveFrom.IsZero() {
		at = "effective " + e.EffectiveFrom.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("price %s/%s (%s): %s: %s", e.Provider, e.Model, at, e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidPrice) true.
func (e *PriceError) Is(target error) bool { return target == ErrInvalidPrice }
