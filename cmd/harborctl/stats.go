package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/internal/cli"
	"github.com/harborai/ingest/internal/store"
	"github.com/harborai/ingest/pkg/pg"
)

func statsCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	var sf storeFlags
	sf.register(fs)
	since := fs.String("since", "", "only calls started within this duration (e.g. 24h) or at or after this time: RFC 3339 or YYYY-MM-DD (UTC)")
	until := fs.String("until", "", "only calls started before this: a duration ago (e.g. 1h), an RFC 3339 time or YYYY-MM-DD (UTC)")
	var f store.Filter
	fs.StringVar(&f.Provider, "provider", "", "only this provider")
	fs.StringVar(&f.Model, "model", "", "only this model")
	fs.StringVar(&f.GroupBy, "group-by", store.GroupByModel, "group by model (provider and model), provider or day (UTC)")
	if err := fs.Parse(args); err != nil {
		return cli.FlagStatus(err)
	}
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected argument %q (usage: harborctl stats [flags])", fs.Arg(0)))
	}
	if *since != "" {
		t, err := parseSince(*since, time.Now())
		if err != nil {
			errs = append(errs, fmt.Errorf("--since: %w", err))
		}
		f.Since = t
	}
	if err := checkRange(&f, *until, time.Now()); err != nil {
		errs = append(errs, err)
	}
	switch f.GroupBy = strings.ToLower(strings.TrimSpace(f.GroupBy)); f.GroupBy {
	case store.GroupByModel, store.GroupByProvider, store.GroupByDay:
	default:
		errs = append(errs, fmt.Errorf("--group-by %q: want model, provider or day", f.GroupBy))
	}
	if err := errors.Join(errs...); err != nil {
		usageErrors(stderr, "stats", err)
		return 2
	}
	ctx := context.Background()
	st := sf.open(ctx, stderr, "stats")
	if st == nil {
		return 1
	}
	defer st.Close()
	rows, err := st.Stats(ctx, f)
	if err != nil {
		fmt.Fprintln(stderr, "harborctl stats:", pg.WithSchemaHint(err))
		return 1
	}
	defer warnDamaged(stderr, "stats", st)
	defer warnOverflow(stderr, rows)
	if *asJSON {
		return encodeJSON(stdout, stderr, "stats", rows)
	}
	tw := newTable(stdout)
	group := map[string]string{store.GroupByModel: "PROVIDER\tMODEL", store.GroupByProvider: "PROVIDER", store.GroupByDay: "DAY"}[f.GroupBy]
	fmt.Fprintln(tw, group+"\tCALLS\tERRORS\tPROMPT\tCOMPL\tTOTAL\tCOST")
	totals := map[string]decimal.Decimal{}
	var calls64 int64
	tokens := decimal.Zero // exact, as the groups' sums are
	for _, r := range rows {
		key := map[string]string{store.GroupByModel: printable(r.Provider) + "\t" + printable(r.Model),
			store.GroupByProvider: printable(r.Provider), store.GroupByDay: r.Day}[f.GroupBy]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\n", key, r.Calls, r.Errors, r.PromptTokens, r.CompletionTokens, r.TotalTokens, costs(r.Cost, r.Unpriced))
		for cur, v := range r.Cost {
			totals[cur] = totals[cur].Add(v)
		}
		calls64 += r.Calls
		tokens = tokens.Add(r.TotalTokens.Decimal())
	}
	_ = tw.Flush()
	fmt.Fprintf(stdout, "total: %d calls, %s tokens, cost %s\n", calls64, tokens, costs(totals, 0))
	return 0
}

// costs prints per-currency sums, never adding currencies together.
func costs(m map[string]decimal.Decimal, unpriced int64) string {
	cur := make([]string, 0, len(m))
	for k := range m {
		cur = append(cur, k)
	}
	sort.Strings(cur)
	parts := make([]string, 0, len(cur)+1)
	for _, k := range cur {
		parts = append(parts, m[k].String()+" "+printable(k)) // every stored digit
	}
	if unpriced > 0 {
		parts = append(parts, fmt.Sprintf("%d unpriced", unpriced))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// warnOverflow says on stderr which groups' token sums are beyond int64:
// they are printed exactly, but such a sum comes from a vendor reporting
// an absurd count, which the operator will want to find.
func warnOverflow(stderr io.Writer, rows []store.StatsRow) {
	for i := range rows {
		r := &rows[i]
		names := r.Overflowed()
		if len(names) == 0 {
			continue
		}
		sums := make([]string, len(names))
		for j, n := range names {
			t := map[string]store.Tokens{"prompt_tokens": r.PromptTokens, "completion_tokens": r.CompletionTokens, "total_tokens": r.TotalTokens}[n]
			sums[j] = n + " " + t.String()
		}
		fmt.Fprintf(stderr, "harborctl stats: warning: the token sums of %s are beyond int64 (%s, printed exactly): a call reports an absurd count; `harborctl logs --min-tokens N` lists the calls with at least N total tokens\n",
			printable(r.GroupName()), strings.Join(sums, ", "))
	}
}
