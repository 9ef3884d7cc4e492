package cost

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// builtinPrices is the default_config price table (SPEC §5): vendor list
// prices, each row citing its source and effective date.
//
//go:embed prices.json
var builtinPrices []byte

// BuiltinTable returns the builtin price table, parsed afresh on each call
// (the caller owns the result).
func BuiltinTable() ([]Price, error) {
	prices, err := ParseTable(builtinPrices)
	if err != nil {
		return nil, fmt.Errorf("builtin price table: %w", err)
	}
	return prices, nil
}

// ParseTable parses a price table in the JSON format of the builtin table
// (see docs/pricing.md): {"prices": [{"provider": ..., "model": ..., ...}]}.
// Every row is validated; unknown fields, invalid rows and two rows for the
// same (provider, model, effective_from) are errors, all reported at once.
func ParseTable(data []byte) ([]Price, error) {
	var doc struct {
		Comment string     `json:"comment"`
		Prices  []priceRow `json:"prices"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: decode price table: %w", ErrInvalidPrice, err)
	}
	var errs []error
	prices := make([]Price, 0, len(doc.Prices))
	for i, row := range doc.Prices {
		p, err := row.price()
		if err == nil {
			err = p.Validate()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("prices[%d]: %w", i, err))
			continue
		}
		prices = append(prices, p)
	}
	errs = append(errs, checkDuplicates(prices))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return prices, nil
}

// checkDuplicates reports prices that share (provider, model, effective_from).
func checkDuplicates(prices []Price) error {
	type key struct {
		provider, model string
		at              int64
	}
	seen := make(map[key]bool, len(prices))
	var errs []error
	for _, p := range prices {
		k := key{p.Provider, p.Model, p.EffectiveFrom.UnixNano()}
		if seen[k] {
			errs = append(errs, &PriceError{
				Provider: p.Provider, Model: p.Model, EffectiveFrom: p.EffectiveFrom,
				Field: "effective_from", Reason: "duplicate (provider, model, effective_from)",
			})
		}
		seen[k] = true
	}
	return errors.Join(errs...)
}

// priceRow is one row of the JSON table. Prices are decimal text, quoted or
// not, and never pass through float64.
type priceRow struct {
	Provider      string      `json:"provider"`
	Model         string      `json:"model"`
	Currency      string      `json:"currency"`
	Unit          int64       `json:"unit"`
	rateFields                // input, cached_input, cache_write, output
	Tiers         []tierRow   `json:"tiers"`
	Windows       []windowRow `json:"windows"`
	EffectiveFrom string      `json:"effective_from"`
	Source        string      `json:"source"`
	Note          string      `json:"note"`
}

type rateFields struct {
	Input       *priceText `json:"input"`
	CachedInput *priceText `json:"cached_input"`
	CacheWrite  *priceText `json:"cache_write"`
	Output      *priceText `json:"output"`
}

type tierRow struct {
	AbovePromptTokens int64 `json:"above_prompt_tokens"`
	rateFields
}

type windowRow struct {
	Start string `json:"start"` // "16:30", UTC
	End   string `json:"end"`
	rateFields
}

// priceText is a price's decimal text, from a JSON string or number.
type priceText string

func (p *priceText) UnmarshalJSON(b []byte) error {
	s := string(b)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	*p = priceText(s)
	return nil
}

func (r priceRow) price() (Price, error) {
	p := Price{
		Provider: r.Provider, Model: r.Model, Currency: r.Currency, Unit: r.Unit,
		Source: r.Source, Note: r.Note,
	}
	var errs []error
	bad := func(field, reason string) {
		errs = append(errs, &PriceError{Provider: r.Provider, Model: r.Model, EffectiveFrom: p.EffectiveFrom, Field: field, Reason: reason})
	}
	if at, err := parseEffective(r.EffectiveFrom); err != nil {
		bad("effective_from", err.Error())
	} else {
		p.EffectiveFrom = at
	}
	p.Rates = r.rates("", bad)
	for i, t := range r.Tiers {
		p.Tiers = append(p.Tiers, Tier{
			AbovePromptTokens: t.AbovePromptTokens,
			Rates:             t.rates(fmt.Sprintf("tiers[%d].", i), bad),
		})
	}
	for i, w := range r.Windows {
		field := fmt.Sprintf("windows[%d].", i)
		start, err1 := parseClock(w.Start)
		end, err2 := parseClock(w.End)
		if err := errors.Join(err1, err2); err != nil {
			bad(field+"start/end", err.Error())
		}
		p.Windows = append(p.Windows, Window{Start: start, End: end, Rates: w.rates(field, bad)})
	}
	return p, errors.Join(errs...)
}

func (f rateFields) rates(prefix string, bad func(field, reason string)) Rates {
	var r Rates
	parse := func(name string, t *priceText, required bool) *decimal.Decimal {
		if t == nil {
			if required {
				bad(prefix+name, "required")
			}
			return nil
		}
		d, err := ParsePrice(string(*t))
		if err != nil {
			bad(prefix+name, fmt.Sprintf("%q: %v", string(*t), err))
			return nil
		}
		return &d
	}
	if d := parse("input", f.Input, true); d != nil {
		r.Input = *d
	}
	if d := parse("output", f.Output, true); d != nil {
		r.Output = *d
	}
	r.CachedInput = parse("cached_input", f.CachedInput, false)
	r.CacheWrite = parse("cache_write", f.CacheWrite, false)
	return r
}

// parseEffective accepts a date ("2025-02-09", 00:00 UTC) or an RFC 3339
// time ("2025-02-08T16:00:00Z").
func parseEffective(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("required")
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want YYYY-MM-DD or an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

// parseClock parses a UTC time of day "HH:MM" into an offset from midnight.
func parseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q: want a time of day HH:MM (UTC)", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}
