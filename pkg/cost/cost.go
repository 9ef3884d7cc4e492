package cost

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
)

// Pricer prices calls. It is immutable and safe for concurrent use.
// Minimal version: a tiny builtin table; the full sources replace it.
type Pricer struct {
	table map[string]price
}

type price struct {
	currency      string
	input, output decimal.Decimal
}

// NewPricer returns a Pricer over the builtin table.
func NewPricer() (*Pricer, error) {
	d := decimal.RequireFromString
	return &Pricer{table: map[string]price{
		"openai/gpt-4o-mini":     {"USD", d("0.00015"), d("0.0006")},
		"deepseek/deepseek-chat": {"CNY", d("0.002"), d("0.003")},
	}}, nil
}

// Cost prices usage u of a call to provider/model made at t. custom, when
// set, prices this call only.
func (p *Pricer) Cost(provider, model string, t time.Time, u parse.Usage, custom *event.CustomPricing) Info {
	info := Info{PricingSource: SourceNotFound, PricingTimestamp: t.UTC()}
	pr, ok := p.table[provider+"/"+model]
	if custom != nil {
		in, err1 := decimal.NewFromString(custom.InputPrice.String())
		out, err2 := decimal.NewFromString(custom.OutputPrice.String())
		if err1 == nil && err2 == nil {
			pr, ok = price{custom.Currency, in, out}, true
			info.PricingSource = SourceAPIParameter
		}
	} else if ok {
		info.PricingSource = SourceDefaultConfig
	}
	if !ok || u.PromptTokens == nil || u.CompletionTokens == nil {
		return info
	}
	thousand := decimal.NewFromInt(1000)
	in := pr.input.Mul(decimal.NewFromInt(*u.PromptTokens)).Div(thousand)
	out := pr.output.Mul(decimal.NewFromInt(*u.CompletionTokens)).Div(thousand)
	total := in.Add(out)
	info.InputCost, info.OutputCost, info.TotalCost = &in, &out, &total
	info.Currency = pr.currency
	info.Unit = 1000
	info.InputPrice, info.OutputPrice = &pr.input, &pr.output
	return info
}
