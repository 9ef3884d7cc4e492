package pricing

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/cost"
)

// Entry is one dynamic price row: a price of (Provider, Model) from
// EffectiveFrom on, or a tombstone (Removed) ending the dynamic price of
// that model from EffectiveFrom on. Prices are per Unit tokens; a tombstone
// has no currency, unit or prices. ID and SetAt are given by the store.
type Entry struct {
	ID            int64            `json:"id"`
	Provider      string           `json:"provider"`
	Model         string           `json:"model"`
	Currency      string           `json:"currency,omitempty"`
	Unit          int64            `json:"unit,omitempty"`
	Input         *decimal.Decimal `json:"input,omitempty"`
	CachedInput   *decimal.Decimal `json:"cached_input,omitempty"`
	CacheWrite    *decimal.Decimal `json:"cache_write,omitempty"`
	Output        *decimal.Decimal `json:"output,omitempty"`
	EffectiveFrom time.Time        `json:"effective_from"`
	Removed       bool             `json:"removed,omitempty"`
	Note          string           `json:"note,omitempty"`
	SetAt         time.Time        `json:"set_at"`
}

// DefaultUnit is the unit of a price set without one: per 1,000 tokens, as
// the seed's price variables and custom pricing are.
const DefaultUnit = 1000

// Origin names the entry for people: "#3".
func (e Entry) Origin() string { return fmt.Sprintf("#%d", e.ID) }

// Validate checks e as a store accepts it: names present and lower case;
// for a price, a known currency, a positive unit and non-negative input and
// output prices (the optional ones non-negative when set); for a tombstone,
// no prices. It reports every problem at once, each a *FieldError.
func (e Entry) Validate() error {
	var errs []error
	for _, fe := range e.problems() {
		errs = append(errs, fe)
	}
	return errors.Join(errs...)
}

func (e Entry) problems() []*FieldError {
	var errs []*FieldError
	bad := func(field, value, reason string) {
		errs = append(errs, &FieldError{Field: field, Value: value, Reason: reason})
	}
	for _, f := range []struct{ name, v string }{{"provider", e.Provider}, {"model", e.Model}} {
		switch {
		case strings.TrimSpace(f.v) == "":
			bad(f.name, "", "required")
		case f.v != normalizeName(f.v):
			bad(f.name, f.v, "want lower case without surrounding spaces")
		}
	}
	if e.EffectiveFrom.IsZero() {
		bad("effective-from", "", "required")
	}
	if e.Removed {
		if e.Currency != "" || e.Unit != 0 || e.Input != nil || e.Output != nil || e.CachedInput != nil || e.CacheWrite != nil {
			bad("removed", "", "a tombstone has no currency, unit or prices")
		}
		return errs
	}
	if c, err := cost.NormalizeCurrency(e.Currency); err != nil || c != e.Currency {
		bad("currency", e.Currency, "unknown currency, want one of "+strings.Join(cost.Currencies(), ", ")+" (RMB is accepted as CNY)")
	}
	if e.Unit <= 0 {
		bad("unit", fmt.Sprint(e.Unit), "want a positive number of tokens")
	}
	for _, f := range []struct {
		name     string
		d        *decimal.Decimal
		required bool
	}{{"input", e.Input, true}, {"output", e.Output, true}, {"cached-input", e.CachedInput, false}, {"cache-write", e.CacheWrite, false}} {
		switch {
		case f.d == nil && f.required:
			bad(f.name, "", "required")
		case f.d != nil && f.d.IsNegative():
			bad(f.name, f.d.String(), "negative")
		}
	}
	return errs
}

// price returns e as a pkg/cost price; e is a valid price, not a tombstone.
func (e Entry) price() cost.Price {
	p := cost.Price{
		Provider: e.Provider, Model: e.Model, Currency: e.Currency, Unit: e.Unit,
		EffectiveFrom: e.EffectiveFrom,
		Source:        "harborctl pricing set " + e.Origin(),
		Note:          e.Note,
	}
	if e.Input != nil {
		p.Input = *e.Input
	}
	if e.Output != nil {
		p.Output = *e.Output
	}
	p.CachedInput, p.CacheWrite = e.CachedInput, e.CacheWrite
	return p
}

// SetRequest is a price to set (or, with Removed, to unset) as an operator
// writes it: text, checked and converted by Entry.
type SetRequest struct {
	Provider, Model string
	// Prices per Unit tokens, as decimal text ("0.002"); CachedInput and
	// CacheWrite may be empty (billed at Input).
	Input, Output, CachedInput, CacheWrite string
	Currency                               string // "" = DefaultCurrency; RMB is CNY
	Unit                                   int64  // 0 = DefaultUnit
	EffectiveFrom                          time.Time
	Note                                   string
	Removed                                bool // a tombstone: no prices
}

// Entry checks r and returns the entry to append, naming every bad field
// (each a *FieldError) at once. Names are lower-cased and trimmed, as the
// pricer compares them; the currency is canonical ("rmb" is CNY).
func (r SetRequest) Entry() (Entry, error) {
	e := Entry{
		Provider: normalizeName(r.Provider), Model: normalizeName(r.Model),
		EffectiveFrom: r.EffectiveFrom.UTC(), Note: strings.TrimSpace(r.Note), Removed: r.Removed,
	}
	var errs []error
	seen := map[string]bool{}
	bad := func(fe *FieldError) {
		if !seen[fe.Field] {
			seen[fe.Field] = true
			errs = append(errs, fe)
		}
	}
	if r.Removed {
		for _, f := range []struct{ name, v string }{{"input", r.Input}, {"output", r.Output}, {"cached-input", r.CachedInput}, {"cache-write", r.CacheWrite}} {
			if f.v != "" {
				bad(&FieldError{Field: f.name, Value: f.v, Reason: "not allowed when removing a price"})
			}
		}
	} else {
		e.Currency, e.Unit = r.Currency, r.Unit
		if e.Currency == "" {
			e.Currency = DefaultCurrency
		}
		if c, err := cost.NormalizeCurrency(e.Currency); err == nil {
			e.Currency = c
		}
		if e.Unit == 0 {
			e.Unit = DefaultUnit
		}
		parse := func(field, v string) *decimal.Decimal {
			if v == "" {
				return nil // required ones are reported by problems
			}
			d, err := cost.ParsePrice(v)
			if err != nil {
				bad(&FieldError{Field: field, Value: v, Reason: err.Error()})
				return nil
			}
			return &d
		}
		e.Input = parse("input", r.Input)
		e.Output = parse("output", r.Output)
		e.CachedInput = parse("cached-input", r.CachedInput)
		e.CacheWrite = parse("cache-write", r.CacheWrite)
	}
	for _, fe := range e.problems() {
		bad(fe)
	}
	if err := errors.Join(errs...); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// DefaultCurrency is the currency of a price set without one, as
// COST_CURRENCY's default.
const DefaultCurrency = "CNY"

// normalizeName lower-cases and trims a provider or model name, as pkg/cost
// compares them.
func normalizeName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
