package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/harborai/ingest/internal/cli"
	"github.com/harborai/ingest/internal/pricing"
	"github.com/harborai/ingest/pkg/parse"
)

const pricingUsage = `usage: harborctl pricing <command> [flags]

  list      every known price (dynamic, price variables, builtin table), its source and which one wins per model
  show      the price a call to --provider/--model gets and why (which source won)
  set       set a dynamic price: appends to the history, effective from --effective-from (default now)
  unset     end the dynamic price of --provider/--model (appends a tombstone; calls fall back to the
            price variables and the builtin table)
  history   the dynamic prices of --provider [--model] over time
  reprice   recompute the stored cost of the calls in [--since, --until) with the current prices,
            keeping the previous figures in the reprice_audit table (PostgreSQL only)

Dynamic prices live in PostgreSQL when $HARBORAI_POSTGRES_URL is set, else in
$HARBORAI_DATA_DIR/pricing.json. The ingestor loads them at start-up and every
$HARBORAI_PRICING_REFRESH (default 1m). Every listing has --json.
Run "harborctl pricing <command> -h" for flags.
`

func pricingCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, pricingUsage)
		return 2
	}
	switch args[0] {
	case "list":
		return pricingList(args[1:], stdout, stderr)
	case "show":
		return pricingShow(args[1:], stdout, stderr)
	case "set":
		return pricingSet(args[1:], false, stdout, stderr)
	case "unset":
		return pricingSet(args[1:], true, stdout, stderr)
	case "history":
		return pricingHistory(args[1:], stdout, stderr)
	case "reprice":
		return pricingReprice(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, pricingUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "harborctl pricing: unknown command %q\n\n%s", args[0], pricingUsage)
		return 2
	}
}

// pricingFlags are the flags every pricing command has.
type pricingFlags struct {
	*flag.FlagSet
	name    string
	pgURL   string
	dataDir string
	asJSON  bool
}

func newPricingFlags(name string, stderr io.Writer) *pricingFlags {
	f := &pricingFlags{FlagSet: flag.NewFlagSet("pricing "+name, flag.ContinueOnError), name: "harborctl pricing " + name}
	f.SetOutput(stderr)
	f.StringVar(&f.pgURL, "postgres-url", cli.Env("HARBORAI_POSTGRES_URL", ""), "PostgreSQL URL ($HARBORAI_POSTGRES_URL); unset = the price file")
	f.StringVar(&f.dataDir, "data-dir", cli.Env("HARBORAI_DATA_DIR", "./harborai-data"), "data directory holding pricing.json when there is no PostgreSQL ($HARBORAI_DATA_DIR)")
	f.BoolVar(&f.asJSON, "json", false, "print JSON")
	cli.MaskDefault(f.FlagSet, "postgres-url")
	return f
}

// parse parses args; it reports unexpected arguments too. When it returns
// false the command ends with the exit status it gives: 0 after -h, 2 on a
// usage error.
func (f *pricingFlags) parse(args []string, stderr io.Writer) (int, bool) {
	if err := f.Parse(args); err != nil {
		return cli.FlagStatus(err), false
	}
	if f.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", f.name, f.Args())
		return 2, false
	}
	return 0, true
}

// usageErr prints a usage error and returns exit code 2.
func (f *pricingFlags) usageErr(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "%s: %s\n", f.name, fmt.Sprintf(format, args...))
	return 2
}

// fail prints a run-time error and returns exit code 1.
func (f *pricingFlags) fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "%s: %v\n", f.name, err)
	return 1
}

// open opens the price store and says which on stderr.
func (f *pricingFlags) open(ctx context.Context, stderr io.Writer) (pricing.Store, error) {
	st, err := pricing.Open(ctx, f.pgURL, f.dataDir)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "source: %s\n", st.Source())
	return st, nil
}

// sources reads the dynamic price history from st and pairs it with this
// process's environment, as the ingestor would see it.
func sources(ctx context.Context, st pricing.Store) (pricing.Sources, error) {
	entries, err := st.History(ctx, "", "")
	if err != nil {
		return pricing.Sources{}, err
	}
	return pricing.Sources{Entries: entries, Lookup: os.LookupEnv, Environ: os.Environ()}, nil
}

func (f *pricingFlags) printJSON(stdout io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return 1
	}
	return 0
}

func pricingSet(args []string, unset bool, stdout, stderr io.Writer) int {
	name := "set"
	if unset {
		name = "unset"
	}
	f := newPricingFlags(name, stderr)
	var req pricing.SetRequest
	var unit int64
	var effective string
	f.StringVar(&req.Provider, "provider", "", "provider, as calls carry it (required), e.g. deepseek")
	f.StringVar(&req.Model, "model", "", "model, as calls carry it (required), e.g. deepseek-chat")
	if !unset {
		f.StringVar(&req.Input, "input", "", "price of an uncached input token, per --unit tokens (required)")
		f.StringVar(&req.Output, "output", "", "price of an output token, per --unit tokens (required)")
		f.StringVar(&req.CachedInput, "cached-input", "", "price of a cache-read input token (default: --input)")
		f.StringVar(&req.CacheWrite, "cache-write", "", "price of a cache-written input token (default: --input)")
		f.StringVar(&req.Currency, "currency", cli.Env("COST_CURRENCY", pricing.DefaultCurrency), "currency: CNY, USD, EUR, GBP, HKD or JPY; RMB is CNY ($COST_CURRENCY)")
		f.Int64Var(&unit, "unit", pricing.DefaultUnit, "tokens the prices are per (1000 or 1000000)")
	}
	f.StringVar(&effective, "effective-from", "now", "when it takes effect: RFC 3339 time, YYYY-MM-DD (UTC) or now")
	f.StringVar(&req.Note, "note", "", "why, for the history")
	if code, ok := f.parse(args, stderr); !ok {
		return code
	}
	now := time.Now().UTC()
	at, err := parseWhen(effective, now)
	if err != nil {
		return f.usageErr(stderr, "--effective-from: %v", err)
	}
	req.EffectiveFrom, req.Unit, req.Removed = at, unit, unset
	if !unset && unit == 0 {
		return f.usageErr(stderr, "--unit 0: want a positive number of tokens")
	}
	e, err := req.Entry()
	if err != nil {
		fmt.Fprintf(stderr, "%s: invalid price:\n", f.name)
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(stderr, "  "+line)
		}
		return 2
	}
	if canon, known := parse.CanonicalProvider(e.Provider); !known || canon != e.Provider {
		fmt.Fprintf(stderr, "note: %q is not a canonical provider name (%s); the price applies to calls whose provider is exactly %q (any case)\n",
			e.Provider, strings.Join(parse.Providers(), ", "), e.Provider)
	}
	ctx := context.Background()
	st, err := f.open(ctx, stderr)
	if err != nil {
		return f.fail(stderr, err)
	}
	defer st.Close()
	if unset {
		hist, err := st.History(ctx, e.Provider, e.Model)
		if err != nil {
			return f.fail(stderr, err)
		}
		if len(hist) == 0 {
			return f.fail(stderr, fmt.Errorf("%s/%s has no dynamic price: nothing to unset", e.Provider, e.Model))
		}
	}
	e, err = st.Append(ctx, e)
	if err != nil {
		return f.fail(stderr, err)
	}
	if f.asJSON {
		return f.printJSON(stdout, e)
	}
	what := "set dynamic price " + e.Origin() + ": " + e.Provider + "/" + e.Model + " " + quoteText(pricing.Quote{
		Currency: e.Currency, Unit: e.Unit, Input: e.Input, CachedInput: e.CachedInput, CacheWrite: e.CacheWrite, Output: e.Output})
	if unset {
		what = "removed the dynamic price of " + e.Provider + "/" + e.Model + " (tombstone " + e.Origin() + ")"
	}
	fmt.Fprintf(stdout, "%s, effective from %s\n", what, e.EffectiveFrom.Format(time.RFC3339))
	fmt.Fprintln(stdout, "The ingestor applies it at its next refresh ($HARBORAI_PRICING_REFRESH, default 1m) or restart;"+
		" calls already stored keep their cost until \"harborctl pricing reprice\".")
	return 0
}

// parseWhen parses a time given on the command line: "now", an RFC 3339
// time, a date (00:00 UTC), or a duration meaning that long before now.
func parseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "now" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, errors.New("want an RFC 3339 time (2026-01-02T15:04:05Z), a date (2026-01-02, UTC), now, or a duration ago (24h)")
}
