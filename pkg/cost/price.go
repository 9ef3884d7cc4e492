package cost

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Price is the price of one (provider, model) from EffectiveFrom on, until
// a later Price of the same (provider, model) and source takes over.
type Price struct {
	Provider string // canonical provider name, lower case: "openai", "deepseek"
	Model    string // model name as sent to the vendor, lower case: "gpt-4o"
	Currency string // ISO 4217: "USD", "CNY"
	Unit     int64  // tokens the prices are per: 1000 or 1000000

	// Rates are the base prices. They apply unless a tier or a window
	// below applies.
	Rates
	// Tiers, by ascending threshold, replace the base rates for calls
	// whose prompt tokens exceed the threshold (the whole call is billed
	// at the tier's rates, as Gemini and Anthropic bill long context).
	Tiers []Tier
	// Windows replace the base rates for calls made within a time of day
	// (UTC), as DeepSeek's off-peak discount did. A price has tiers or
	// windows, not both.
	Windows []Window

	EffectiveFrom time.Time
	Source        string // where the price came from: the vendor's pricing page URL
	Note          string // optional remark about the row
}

// Rates are the unit prices of one rate card, per Price.Unit tokens.
type Rates struct {
	Input  decimal.Decimal // uncached input tokens
	Output decimal.Decimal // completion tokens, reasoning included
	// CachedInput prices cache-read input tokens; nil bills them at Input.
	CachedInput *decimal.Decimal
	// CacheWrite prices tokens written to a prompt cache; nil bills them at
	// Input.
	CacheWrite *decimal.Decimal
}

// Tier is a rate card for calls with more than AbovePromptTokens prompt
// tokens.
type Tier struct {
	AbovePromptTokens int64
	Rates
}

// Window is a rate card for calls made at a time of day in [Start, End),
// both offsets from 00:00 UTC; End before Start wraps past midnight
// (DeepSeek's off-peak: Start 16h30m, End 30m).
type Window struct {
	Start, End time.Duration
	Rates
}

// contains reports whether the UTC time of day of t falls in the window.
func (w Window) contains(t time.Time) bool {
	t = t.UTC()
	d := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
	if w.Start < w.End {
		return d >= w.Start && d < w.End
	}
	return d >= w.Start || d < w.End
}

// ratesFor returns the rate card that applies to a call made at t with
// prompt prompt tokens (nil when unknown: the base or window rates).
func (p *Price) ratesFor(t time.Time, prompt *int64) Rates {
	for _, w := range p.Windows {
		if w.contains(t) {
			return w.Rates
		}
	}
	r := p.Rates
	if prompt != nil {
		for _, tier := range p.Tiers {
			if *prompt > tier.AbovePromptTokens {
				r = tier.Rates
			}
		}
	}
	return r
}

// Validate checks p: names present and lower case, a known currency, a
// positive unit, non-negative rates, a source and an effective date, tiers
// with increasing thresholds, windows within a day, and every rate card
// stating the same optional prices (a tier cannot silently drop the cached
// price of the base). It returns every problem, each a *PriceError.
func (p *Price) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &PriceError{
			Provider: p.Provider, Model: p.Model, EffectiveFrom: p.EffectiveFrom,
			Field: field, Reason: fmt.Sprintf(format, args...),
		})
	}
	for _, f := range []struct{ name, v string }{{"provider", p.Provider}, {"model", p.Model}} {
		switch {
		case strings.TrimSpace(f.v) == "":
			bad(f.name, "required")
		case f.v != strings.ToLower(strings.TrimSpace(f.v)):
			bad(f.name, "want lower case without surrounding spaces, got %q", f.v)
		}
	}
	if c, err := NormalizeCurrency(p.Currency); err != nil {
		bad("currency", "%v", err)
	} else if c != p.Currency {
		bad("currency", "want %q, got %q", c, p.Currency)
	}
	if p.Unit <= 0 {
		bad("unit", "want a positive number of tokens, got %d", p.Unit)
	}
	if strings.TrimSpace(p.Source) == "" {
		bad("source", "required: say where the price came from")
	}
	if p.EffectiveFrom.IsZero() {
		bad("effective_from", "required")
	}
	checkRates := func(field string, r Rates) {
		for _, v := range []struct {
			name string
			d    *decimal.Decimal
		}{{"input", &r.Input}, {"output", &r.Output}, {"cached_input", r.CachedInput}, {"cache_write", r.CacheWrite}} {
			if v.d != nil && v.d.IsNegative() {
				bad(field+v.name, "negative")
			}
		}
		if (r.CachedInput == nil) != (p.CachedInput == nil) || (r.CacheWrite == nil) != (p.CacheWrite == nil) {
			bad(field+"rates", "must state the same optional prices (cached_input, cache_write) as the base rates")
		}
	}
	checkRates("", p.Rates)
	if len(p.Tiers) > 0 && len(p.Windows) > 0 {
		bad("tiers", "a price has tiers or windows, not both")
	}
	for i, t := range p.Tiers {
		field := fmt.Sprintf("tiers[%d].", i)
		if t.AbovePromptTokens <= 0 {
			bad(field+"above_prompt_tokens", "want a positive threshold, got %d", t.AbovePromptTokens)
		}
		if i > 0 && t.AbovePromptTokens <= p.Tiers[i-1].AbovePromptTokens {
			bad(field+"above_prompt_tokens", "thresholds must increase")
		}
		checkRates(field, t.Rates)
	}
	for i, w := range p.Windows {
		field := fmt.Sprintf("windows[%d].", i)
		if w.Start < 0 || w.Start >= 24*time.Hour || w.End < 0 || w.End >= 24*time.Hour || w.Start == w.End {
			bad(field+"start", "want two different times of day between 00:00 and 23:59")
		}
		checkRates(field, w.Rates)
	}
	return errors.Join(errs...)
}

// clone returns a deep copy of p, so that a Pricer never shares memory with
// the slices or pointers its caller keeps.
func (p Price) clone() Price {
	p.Rates = p.Rates.clone()
	p.Tiers = slices.Clone(p.Tiers)
	for i := range p.Tiers {
		p.Tiers[i].Rates = p.Tiers[i].clone()
	}
	p.Windows = slices.Clone(p.Windows)
	for i := range p.Windows {
		p.Windows[i].Rates = p.Windows[i].clone()
	}
	return p
}

func (r Rates) clone() Rates {
	r.CachedInput = clonePtr(r.CachedInput)
	r.CacheWrite = clonePtr(r.CacheWrite)
	return r
}

func clonePtr(d *decimal.Decimal) *decimal.Decimal {
	if d == nil {
		return nil
	}
	v := *d
	return &v
}
