package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/harborai/ingest/internal/cli"
	"github.com/harborai/ingest/internal/store"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
)

func logsCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "show" {
		return showCmd(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("logs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f store.Filter
	asJSON := fs.Bool("json", false, "print one JSON object per call")
	var sf storeFlags
	sf.register(fs)
	since := fs.String("since", "", "only calls started within this duration (e.g. 24h) or at or after this time: RFC 3339 or YYYY-MM-DD (UTC)")
	fs.StringVar(&f.Provider, "provider", "", "only this provider")
	fs.StringVar(&f.Model, "model", "", "only this model")
	fs.StringVar(&f.Status, "status", "", "only this status: success, error, pending, abandoned")
	fs.StringVar(&f.TraceID, "trace-id", "", "the call with this call id, hb_trace_id or OpenTelemetry trace id")
	fs.StringVar(&f.Text, "search", "", "text in the request, response or error")
	fs.BoolVar(&f.ErrorsOnly, "errors", false, "errors only")
	fs.IntVar(&f.Limit, "limit", 50, "most calls to print")
	until := fs.String("until", "", "only calls started before this: a duration ago (e.g. 1h), an RFC 3339 time or YYYY-MM-DD (UTC)")
	fs.Func("min-tokens", "only calls with at least this many total tokens", tokenFlag(&f.MinTokens))
	fs.Func("max-tokens", "only calls with at most this many total tokens", tokenFlag(&f.MaxTokens))
	fs.Func("after", "the next page: the calls after this cursor (printed on stderr when more calls follow the page)", func(s string) error {
		c, err := parseCursor(s)
		f.After = c
		return err
	})
	if err := fs.Parse(args); err != nil {
		return cli.FlagStatus(err)
	}
	if err := checkLogsFlags(fs, &f, *since, time.Now()); err != nil {
		usageErrors(stderr, "logs", err)
		return 2
	}
	if err := checkRange(&f, *until, time.Now()); err != nil {
		usageErrors(stderr, "logs", err)
		return 2
	}
	ctx := context.Background()
	st := sf.open(ctx, stderr, "logs")
	if st == nil {
		return 1
	}
	defer st.Close()
	// One call more than the page, to know whether another page follows.
	limit := f.Limit
	if f.Limit < math.MaxInt {
		f.Limit++
	}
	calls, err := st.List(ctx, f)
	if err != nil {
		fmt.Fprintln(stderr, "harborctl logs:", pg.WithSchemaHint(err))
		return 1
	}
	if len(calls) > limit { // there are more: say how to get them, last
		calls = calls[:limit]
		last := calls[len(calls)-1]
		defer fmt.Fprintf(stderr, "next page: --after %s\n", formatCursor(last.StartedAt, last.CallID))
	}
	defer warnDamaged(stderr, "logs", st)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for i := range calls {
			if err := enc.Encode(store.NewView(&calls[i])); err != nil {
				fmt.Fprintln(stderr, "harborctl logs: write JSON:", err)
				return 1
			}
		}
		return 0
	}
	printTable(stdout, calls)
	return 0
}

// checkLogsFlags validates the parsed flags of logs and completes f: the
// status in lower case, the trace id trimmed, Since from since. It reports
// every problem at once.
func checkLogsFlags(fs *flag.FlagSet, f *store.Filter, since string, now time.Time) error {
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected argument %q (usage: harborctl logs [flags], harborctl logs show [flags] ID)", fs.Arg(0)))
	}
	f.Status = strings.ToLower(strings.TrimSpace(f.Status))
	switch f.Status {
	case "", event.StatusSuccess, event.StatusError, event.StatusAbandoned, record.StatusPending:
	default:
		errs = append(errs, fmt.Errorf("--status %q: want success, error, pending or abandoned", f.Status))
	}
	f.TraceID = strings.TrimSpace(f.TraceID)
	if f.TraceID == "" && flagSet(fs, "trace-id") {
		errs = append(errs, errors.New("--trace-id: empty id"))
	}
	if f.Limit < 1 {
		errs = append(errs, fmt.Errorf("--limit %d: must be at least 1", f.Limit))
	}
	if since != "" {
		t, err := parseSince(since, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("--since: %w", err))
		}
		f.Since = t
	}
	return errors.Join(errs...)
}

// A cursor is the start time (RFC 3339, nanoseconds) and the call id of the
// last call of a page, joined by "/" (a time has none).
func formatCursor(at time.Time, callID string) string {
	return at.UTC().Format(time.RFC3339Nano) + "/" + callID
}

func parseCursor(s string) (*pg.Cursor, error) {
	at, id, ok := strings.Cut(s, "/")
	t, err := time.Parse(time.RFC3339Nano, at)
	if !ok || err != nil || id == "" {
		return nil, fmt.Errorf("%q: want the cursor harborctl printed (TIME/CALL_ID)", s)
	}
	return &pg.Cursor{StartedAt: t, CallID: id}, nil
}

// tokenFlag parses a token count into *dst.
func tokenFlag(dst **int64) func(string) error {
	return func(s string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%q: want a whole number of tokens, 0 or more", s)
		}
		*dst = &n
		return nil
	}
}

// checkRange completes f's Until from until (read as --since is: a
// duration ago, or a time) and checks that the time and token ranges are
// not empty.
func checkRange(f *store.Filter, until string, now time.Time) error {
	var errs []error
	if until != "" {
		t, err := parseSince(until, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("--until: %w", err))
		}
		f.Until = t
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		errs = append(errs, fmt.Errorf("--since %s is not before --until %s", f.Since.Format(time.RFC3339), f.Until.Format(time.RFC3339)))
	}
	if f.MinTokens != nil && f.MaxTokens != nil && *f.MinTokens > *f.MaxTokens {
		errs = append(errs, fmt.Errorf("--min-tokens %d is above --max-tokens %d", *f.MinTokens, *f.MaxTokens))
	}
	return errors.Join(errs...)
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// parseSince parses --since and --until as the pricing commands read their
// times (parseWhen): a duration ago, an RFC 3339 time, a date (00:00 UTC)
// or now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(strings.TrimSpace(s)); err == nil && d < 0 {
		return time.Time{}, fmt.Errorf("%q is negative; want how far back, e.g. 24h", s)
	}
	t, err := parseWhen(s, now)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: %w", s, err)
	}
	return t, nil
}

func printTable(w io.Writer, calls []record.Call) {
	tw := newTable(w)
	fmt.Fprintln(tw, "STARTED (UTC)\tPROVIDER\tMODEL\tSTATUS\tPROMPT\tCOMPL\tTOTAL\tCOST\tHB_TRACE_ID\tTRACE_ID\tCALL_ID")
	for i := range calls {
		c := &calls[i]
		var p, cm, t *int64
		if c.Usage != nil {
			p, cm, t = c.Usage.PromptTokens, c.Usage.CompletionTokens, c.Usage.TotalTokens
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			c.StartedAt.UTC().Format("2006-01-02 15:04:05.000"), printable(c.Provider), printable(c.Model), printable(c.DisplayStatus()),
			count(p), count(cm), count(t), printable(costText(c)), printable(c.HBTraceID), printable(c.TraceID), printable(c.CallID))
	}
	_ = tw.Flush()
}

func count(n *int64) string {
	if n == nil {
		return "-"
	}
	return strconv.FormatInt(*n, 10)
}

func costText(c *record.Call) string {
	if c.Unpriced() {
		return "unpriced"
	}
	if c.Cost == nil || c.Cost.TotalCost == nil {
		return "-"
	}
	// String keeps every stored digit (0.0000001, never 1e-07).
	return strings.TrimSpace(c.Cost.TotalCost.String() + " " + c.Cost.Currency)
}
