package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/harborai/ingest/internal/pricing"
	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/pg"
)

func pricingReprice(args []string, stdout, stderr io.Writer) int {
	f := newPricingFlags("reprice", stderr)
	var opts pricing.RepriceOptions
	since := f.String("since", "", "first call start time to re-price (required): RFC 3339, YYYY-MM-DD (UTC) or a duration ago (720h)")
	until := f.String("until", "", "re-price calls started before this time (required): RFC 3339, YYYY-MM-DD, now or a duration ago")
	f.StringVar(&opts.Filter.Provider, "provider", "", "only this provider")
	f.StringVar(&opts.Filter.Model, "model", "", "only this model (exact name): the model a call requested, or the one that served it")
	f.BoolVar(&opts.DryRun, "dry-run", false, "compute and count the changes, write nothing")
	f.BoolVar(&opts.IncludeCustom, "include-custom", false, "also re-price calls priced by their own custom_pricing (api_parameter), replacing the caller's price")
	f.IntVar(&opts.BatchSize, "batch-size", pricing.DefaultBatchSize, fmt.Sprintf("calls per transaction (1..%d)", pricing.MaxBatchSize))
	f.StringVar(&opts.Reason, "reason", pricing.DefaultReason, "why, recorded with every audit row")
	list := f.Bool("list", false, "print every changed call (with --json: one JSON object per call before the summary)")
	if code, ok := f.parse(args, stderr); !ok {
		return code
	}
	now := time.Now().UTC()
	for _, t := range []struct {
		flag, text string
		dst        *time.Time
	}{{"since", *since, &opts.Filter.Since}, {"until", *until, &opts.Filter.Until}} {
		if t.text == "" {
			return f.usageErr(stderr, "--%s is required", t.flag)
		}
		v, err := parseWhen(t.text, now)
		if err != nil {
			return f.usageErr(stderr, "--%s: %v", t.flag, err)
		}
		*t.dst = v
	}
	if !opts.Filter.Since.Before(opts.Filter.Until) {
		return f.usageErr(stderr, "--since must be before --until")
	}
	if opts.BatchSize < 1 || opts.BatchSize > pricing.MaxBatchSize {
		return f.usageErr(stderr, "--batch-size %d: want 1..%d", opts.BatchSize, pricing.MaxBatchSize)
	}
	if f.pgURL == "" {
		return f.usageErr(stderr, "re-pricing rewrites the calls stored in PostgreSQL, and %v; calls in the spool cannot be re-priced", pricing.ErrNoPostgres)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	pool, err := pg.NewPool(ctx, pg.Config{URL: f.pgURL})
	if err != nil {
		return f.fail(stderr, err)
	}
	defer pool.Close()
	st := pricing.NewPostgresStore(pool)
	fmt.Fprintf(stderr, "source: %s\n", st.Source())
	src, err := sources(ctx, st)
	if err != nil {
		return f.fail(stderr, err)
	}
	pricer, err := src.Pricer()
	if err != nil {
		return f.fail(stderr, err)
	}
	total, err := pg.CountPricedCalls(ctx, pool, opts.Filter)
	if err != nil {
		return f.fail(stderr, err)
	}
	bar := progressbar.NewOptions64(total, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("repricing"),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetPredictTime(true))
	opts.Progress = func(n int) { _ = bar.Add(n) }
	enc := json.NewEncoder(stdout)
	if *list {
		opts.OnChange = func(c pricing.Change) {
			if f.asJSON {
				_ = enc.Encode(c)
				return
			}
			fmt.Fprintf(stdout, "%s %s/%s: %s -> %s\n", c.CallID, c.Provider, c.Model, infoText(c.Old), infoText(c.New))
		}
	}
	sum, err := pricing.Reprice(ctx, pool, pricer, opts)
	_ = bar.Finish()
	fmt.Fprintln(stderr)
	if err != nil {
		printRepriceSummary(stdout, sum, f.asJSON)
		return f.fail(stderr, fmt.Errorf("%w (the batches before were committed; run it again to continue)", err))
	}
	printRepriceSummary(stdout, sum, f.asJSON)
	return 0
}

func printRepriceSummary(w io.Writer, s pricing.Summary, asJSON bool) {
	if asJSON {
		_ = json.NewEncoder(w).Encode(s)
		return
	}
	verb := "repriced"
	if s.DryRun {
		verb = "would reprice (dry run, nothing written)"
	}
	fmt.Fprintf(w, "examined %d calls: %s %d, unchanged %d, unpriced %d, custom pricing kept %d, changed meanwhile %d\n",
		s.Examined, verb, s.Repriced, s.Unchanged, s.Unpriced, s.SkippedCustom, s.Conflicts)
	currencies := make([]string, 0, len(s.Totals))
	for c := range s.Totals {
		currencies = append(currencies, c)
	}
	slices.Sort(currencies)
	var parts []string
	for _, c := range currencies {
		t := s.Totals[c]
		parts = append(parts, fmt.Sprintf("%s %s -> %s", c, t.Old.String(), t.New.String()))
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "total cost of those calls, per currency: %s\n", strings.Join(parts, "; "))
	}
	if !s.DryRun && s.Repriced > 0 {
		fmt.Fprintf(w, "previous figures kept in reprice_audit (run_id %s)\n", s.RunID)
	}
}

// infoText renders a cost block: "0.0035 CNY (dynamic)".
func infoText(k cost.Info) string {
	if k.TotalCost == nil {
		return "null (" + k.PricingSource + ")"
	}
	return k.TotalCost.String() + " " + k.Currency + " (" + k.PricingSource + ")"
}
