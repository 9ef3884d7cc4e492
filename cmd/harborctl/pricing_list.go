package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/internal/pricing"
)

func pricingList(args []string, stdout, stderr io.Writer) int {
	f := newPricingFlags("list", stderr)
	provider := f.String("provider", "", "only this provider")
	model := f.String("model", "", "only this model (and the provider's variables that are not one model's)")
	atText := f.String("at", "now", "prices in effect at this time: RFC 3339, YYYY-MM-DD or now")
	if code, ok := f.parse(args, stderr); !ok {
		return code
	}
	at, err := parseWhen(*atText, time.Now().UTC())
	if err != nil {
		return f.usageErr(stderr, "--at: %v", err)
	}
	ctx := context.Background()
	st, err := f.open(ctx, stderr)
	if err != nil {
		return f.fail(stderr, err)
	}
	defer st.Close()
	src, err := sources(ctx, st)
	if err != nil {
		return f.fail(stderr, err)
	}
	rows, err := src.List(at, *provider, *model)
	if err != nil {
		return f.fail(stderr, err)
	}
	if f.asJSON {
		if rows == nil {
			rows = []pricing.Row{}
		}
		return f.printJSON(stdout, rows)
	}
	tw := newTable(stdout)
	fmt.Fprintln(tw, "PROVIDER\tMODEL\tSOURCE\tWINS\tPRICE\tEFFECTIVE\tORIGIN")
	for _, r := range rows {
		model, wins := r.Model, "-"
		if model == "" {
			model = r.Match
		}
		if r.Winner != "" {
			wins = "no: " + r.Winner
			if r.Wins {
				wins = "yes"
			}
		}
		eff := "-"
		if r.EffectiveFrom != nil {
			eff = r.EffectiveFrom.Format(time.DateOnly)
		}
		price := quoteText(r.Quote)
		if r.Note != "" {
			price += " [" + r.Note + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", printable(dash(r.Provider)), printable(model), r.Source, printable(wins), printable(price), eff, printable(r.Origin))
	}
	_ = tw.Flush()
	fmt.Fprintf(stdout, "%d prices; precedence: api_parameter (per call) > dynamic > environment_variable > default_config\n", len(rows))
	return 0
}

func pricingShow(args []string, stdout, stderr io.Writer) int {
	f := newPricingFlags("show", stderr)
	provider := f.String("provider", "", "provider (required)")
	model := f.String("model", "", "model (required)")
	atText := f.String("at", "now", "price a call made at this time: RFC 3339, YYYY-MM-DD or now")
	if code, ok := f.parse(args, stderr); !ok {
		return code
	}
	if strings.TrimSpace(*provider) == "" || strings.TrimSpace(*model) == "" {
		return f.usageErr(stderr, "--provider and --model are required")
	}
	at, err := parseWhen(*atText, time.Now().UTC())
	if err != nil {
		return f.usageErr(stderr, "--at: %v", err)
	}
	ctx := context.Background()
	st, err := f.open(ctx, stderr)
	if err != nil {
		return f.fail(stderr, err)
	}
	defer st.Close()
	src, err := sources(ctx, st)
	if err != nil {
		return f.fail(stderr, err)
	}
	x, err := src.Explain(*provider, *model, at)
	if err != nil {
		return f.fail(stderr, err)
	}
	if f.asJSON {
		return f.printJSON(stdout, x)
	}
	fmt.Fprintf(stdout, "%s/%s at %s: %s\n", x.Provider, x.Model, x.At.Format(time.RFC3339), x.Winner)
	if x.Price.Input != nil {
		fmt.Fprintf(stdout, "price: %s\n", quoteText(x.Price))
	}
	fmt.Fprintf(stdout, "why: %s\n\n", x.Reason)
	tw := newTable(stdout)
	fmt.Fprintln(tw, "SOURCE\tFOUND\tWINS\tPRICE\tEFFECTIVE\tORIGIN\tNOTE")
	for _, c := range x.Candidates {
		price, eff := "-", "-"
		if c.Found {
			price = quoteText(c.Price)
		}
		if c.EffectiveFrom != nil {
			eff = c.EffectiveFrom.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Source, yesNo(c.Found), yesNo(c.Wins), printable(price), eff, printable(dash(c.Origin)), printable(dash(c.Note)))
	}
	_ = tw.Flush()
	return 0
}

// historyRow is an entry with its status, for history --json.
type historyRow struct {
	pricing.Entry
	Status string `json:"status"`
}

func pricingHistory(args []string, stdout, stderr io.Writer) int {
	f := newPricingFlags("history", stderr)
	provider := f.String("provider", "", "provider (required)")
	model := f.String("model", "", "only this model")
	if code, ok := f.parse(args, stderr); !ok {
		return code
	}
	if strings.TrimSpace(*provider) == "" {
		return f.usageErr(stderr, "--provider is required")
	}
	ctx := context.Background()
	st, err := f.open(ctx, stderr)
	if err != nil {
		return f.fail(stderr, err)
	}
	defer st.Close()
	entries, err := st.History(ctx, *provider, *model)
	if err != nil {
		return f.fail(stderr, err)
	}
	status := pricing.Statuses(entries, time.Now())
	rows := make([]historyRow, len(entries))
	for i, e := range entries {
		rows[i] = historyRow{Entry: e, Status: status[e.ID]}
	}
	if f.asJSON {
		return f.printJSON(stdout, rows)
	}
	tw := newTable(stdout)
	fmt.Fprintln(tw, "ID\tPROVIDER\tMODEL\tEFFECTIVE FROM\tSTATUS\tPRICE\tSET AT\tNOTE")
	for _, r := range rows {
		price := quoteText(pricing.Quote{Currency: r.Currency, Unit: r.Unit, Input: r.Input, CachedInput: r.CachedInput, CacheWrite: r.CacheWrite, Output: r.Output})
		if r.Removed {
			price = "removed (unset)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Origin(), printable(r.Provider), printable(r.Model), r.EffectiveFrom.Format(time.RFC3339),
			r.Status, printable(price), r.SetAt.Format(time.RFC3339), printable(dash(r.Note)))
	}
	_ = tw.Flush()
	if len(rows) == 0 {
		fmt.Fprintln(stdout, "no dynamic prices")
	}
	return 0
}

// quoteText renders a rate card on one line: "input 2, cached 0.5, output 8
// CNY per 1M tokens".
func quoteText(q pricing.Quote) string {
	if q.Input == nil || q.Output == nil {
		return "-"
	}
	parts := []string{"input " + q.Input.String()}
	for _, p := range []struct {
		name string
		d    *decimal.Decimal
	}{{"cached", q.CachedInput}, {"cache write", q.CacheWrite}} {
		if p.d != nil {
			parts = append(parts, p.name+" "+p.d.String())
		}
	}
	parts = append(parts, "output "+q.Output.String())
	unit := fmt.Sprint(q.Unit)
	switch q.Unit {
	case 1000:
		unit = "1K"
	case 1000000:
		unit = "1M"
	}
	return strings.Join(parts, ", ") + " " + q.Currency + " per " + unit + " tokens"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
