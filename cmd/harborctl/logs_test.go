package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/parse"
	"github.com/harborai/ingest/pkg/record"
	"github.com/harborai/ingest/pkg/spool"
)

func ptr[T any](v T) *T { return &v }

// spoolDir writes calls to a fresh spool and returns its data directory.
func spoolDir(t *testing.T, calls ...record.Call) string {
	t.Helper()
	dir := t.TempDir()
	w, err := spool.Open(spool.Options{Dir: filepath.Join(dir, "spool")})
	if err != nil {
		t.Fatal(err)
	}
	if err := ingest.NewSpoolSink(w, "no_postgres").Write(t.Context(), calls); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// answered returns a call with its response: status, usage and, when total
// is not empty, a cost of total in currency.
func answered(id, model, status string, at time.Time, total, currency string) record.Call {
	c := record.Call{CallID: id, HBTraceID: "hb_" + id, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Provider: "openai", Model: model,
		StartedAt: at, RequestEventID: id + "-req", RequestBody: ptr(`{"messages":[{"content":"你好"}]}`)}
	if status == record.StatusPending {
		return c
	}
	finished := at.Add(time.Second)
	c.ResponseEventID, c.Status, c.HTTPStatus, c.FinishedAt = id+"-resp", status, ptr(200), &finished
	c.Usage = &parse.Usage{PromptTokens: ptr(int64(10)), CompletionTokens: ptr(int64(5)), TotalTokens: ptr(int64(15)), Method: "test", Confidence: 1, Consistency: parse.Consistent}
	if total != "" {
		in, out := decimal.RequireFromString(total), decimal.Zero
		c.Cost = &cost.Info{InputCost: &in, OutputCost: &out, TotalCost: &in, Currency: currency,
			PricingSource: cost.SourceEnvironmentVariable, PricingTimestamp: finished, Unit: 1000}
	}
	return c
}

// jsonIDs returns the call ids of logs --json output, in order.
func jsonIDs(t *testing.T, out string) []string {
	t.Helper()
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var v struct {
			CallID string `json:"call_id"`
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("logs --json line %q: %v", line, err)
		}
		ids = append(ids, v.CallID)
	}
	return ids
}

// TestBadArguments: what harborctl cannot honour exactly is refused with
// exit 2 and a message naming the problem, before any store is read:
// words the flag parser would stop at (and silently drop the flags after),
// unknown statuses, limits below 1, negative --since, empty ids, retention
// flags on db commands other than prune, negative retention.
func TestBadArguments(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	dir := spoolDir(t, answered("call-1", "gpt-4o", "success", at, "0.5", "USD"))
	spoolFlags := []string{"-data-dir", dir, "-postgres-url", ""}
	cases := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"logs list subcommand", []string{"logs", "list", "--json"}, `unexpected argument "list"`},
		{"logs stray word", append(append([]string{"logs"}, spoolFlags...), "--json", "zhipu", "--limit", "1"), `unexpected argument "zhipu"`},
		{"unknown status", []string{"logs", "--status", "bogus"}, `--status "bogus"`},
		{"limit zero", []string{"logs", "--limit", "0"}, "--limit 0"},
		{"limit negative", []string{"logs", "--limit", "-3"}, "--limit -3"},
		{"since negative", []string{"logs", "--since", "-24h"}, "negative"},
		{"stats since negative", []string{"stats", "--since", "-1h"}, "negative"},
		{"stats stray word", []string{"stats", "openai"}, `unexpected argument "openai"`},
		{"trace id empty", []string{"logs", "--trace-id", ""}, "--trace-id: empty"},
		{"trace id blank", []string{"logs", "--trace-id", " \t"}, "--trace-id: empty"},
		{"show empty id", []string{"logs", "show", ""}, "empty id"},
		{"negative tokens", []string{"logs", "--min-tokens", "-1"}, "want a whole number of tokens"},
		{"empty token range", []string{"logs", "--min-tokens", "5", "--max-tokens", "3"}, "--min-tokens 5 is above --max-tokens 3"},
		{"empty time range", []string{"logs", "--since", "2026-11-26T09:00:00Z", "--until", "2026-11-26T08:00:00Z"}, "is not before --until"},
		{"show blank id", []string{"logs", "show", "  "}, "empty id"},
		{"migrate with prune flag", []string{"db", "migrate", "-postgres-url", "postgres://unused", "--calls", "0"}, "-calls"},
		{"status with prune flag", []string{"db", "status", "-postgres-url", "postgres://unused", "--bodies", "1h"}, "-bodies"},
		{"db stray word", []string{"db", "migrate", "-postgres-url", "postgres://unused", "now"}, `unexpected argument "now"`},
		{"prune negative", []string{"db", "prune", "-postgres-url", "postgres://unused", "--calls", "-1h"}, "--calls (or $HARBORAI_RETAIN_CALLS) -1h0m0s: must be >= 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			switch {
			case len(args) > 1 && args[1] == "show": // the id goes last
				args = append(append([]string{"logs", "show"}, spoolFlags...), args[2:]...)
			case args[0] != "db" && !strings.HasPrefix(tc.name, "logs stray"):
				args = append(append([]string{}, args...), spoolFlags...)
			}
			out, errs, code := harborctl(t, "", args...)
			if code != 2 || !strings.Contains(errs, tc.want) {
				t.Errorf("harborctl %q = exit %d, stderr %q, stdout %q; want exit 2 and %q", args, code, errs, out, tc.want)
			}
		})
	}
}

// TestLogsFilters: --status is case-insensitive over the four statuses,
// --errors lists the failed calls, --until excludes a call started at that
// time, and ids given to --trace-id and logs show are trimmed.
func TestLogsFilters(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	dir := spoolDir(t,
		answered("call-1", "gpt-4o", "error", at, "0.5", "USD"),
		answered("call-2", "gpt-4o", "success", at.Add(time.Minute), "0.25", "USD"),
		answered("call-3", "gpt-4o", "abandoned", at.Add(2*time.Minute), "", ""),
		answered("call-4", "gpt-4o", record.StatusPending, at.Add(3*time.Minute), "", ""),
	)
	spoolFlags := []string{"-data-dir", dir, "-postgres-url", ""}
	cases := []struct {
		name string
		args []string
		want string // call ids, newest first
	}{
		{"status error", []string{"--status", "error"}, "call-1"},
		{"status in capitals", []string{"--status", " Error "}, "call-1"},
		{"status pending", []string{"--status", "pending"}, "call-4"},
		{"status abandoned", []string{"--status", "abandoned"}, "call-3"},
		{"errors only", []string{"--errors"}, "call-1"},
		{"trace id trimmed", []string{"--trace-id", " call-2\n"}, "call-2"},
		{"until a time", []string{"--until", at.Add(90 * time.Second).Format(time.RFC3339)}, "call-2 call-1"},
		{"until a call's start, excluded", []string{"--until", at.Add(time.Minute).Format(time.RFC3339)}, "call-1"},
		{"since and until", []string{"--since", at.Add(30 * time.Second).Format(time.RFC3339), "--until", at.Add(150 * time.Second).Format(time.RFC3339)}, "call-3 call-2"},
		{"max tokens", []string{"--max-tokens", "15"}, "call-3 call-2 call-1"},
		{"min tokens above every call", []string{"--min-tokens", "16"}, ""},
		{"since a date", []string{"--since", "2026-11-26"}, "call-4 call-3 call-2 call-1"},
		{"since the next day", []string{"--since", "2026-11-27"}, ""},
		{"until a date, excluded", []string{"--until", "2026-11-26"}, ""},
		{"until the next day", []string{"--until", "2026-11-27"}, "call-4 call-3 call-2 call-1"},
		{"no filter", nil, "call-4 call-3 call-2 call-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"logs", "--json"}, tc.args...), spoolFlags...)
			out, errs, code := harborctl(t, "", args...)
			if got := strings.Join(jsonIDs(t, out), " "); code != 0 || got != tc.want {
				t.Errorf("harborctl %q = exit %d, ids %q (stderr %q), want exit 0, ids %q", args, code, got, errs, tc.want)
			}
		})
	}
	out, errs, code := harborctl(t, "", append(append([]string{"logs", "show", "-json"}, spoolFlags...), " call-2 ")...)
	if code != 0 || !strings.Contains(out, `"call_id": "call-2"`) {
		t.Errorf(`logs show " call-2 " = exit %d, stderr %q, stdout %s; want call-2`, code, errs, out)
	}
}

// failingWriter fails every write, as a closed pipe does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// TestJSONWriteErrors: JSON that could not be written is exit 1 with the
// error on stderr, never a silent success.
func TestJSONWriteErrors(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	dir := spoolDir(t, answered("call-1", "gpt-4o", "success", at, "0.5", "USD"))
	for _, args := range [][]string{
		{"logs", "--json"},
		{"logs", "show", "--json", "call-1"},
		{"stats", "--json"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			full := append(append([]string{}, args...), "-data-dir", dir, "-postgres-url", "")
			if args[1] == "show" { // the id goes last
				full = []string{"logs", "show", "--json", "-data-dir", dir, "-postgres-url", "", "call-1"}
			}
			var errb strings.Builder
			if code := run(full, strings.NewReader(""), failingWriter{}, &errb); code != 1 || !strings.Contains(errb.String(), "broken pipe") {
				t.Errorf("harborctl %q to a failing stdout = exit %d, stderr %q; want exit 1 and the error", full, code, errb.String())
			}
		})
	}
}

// TestLogsPages: --limit ends a page with the cursor of the next one on
// stderr; following them lists every call once, newest first.
func TestLogsPages(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	var calls []record.Call
	for i := range 5 {
		calls = append(calls, answered(fmt.Sprintf("call-%d", i), "gpt-4o", "success", at.Add(time.Duration(i%2)*time.Minute), "1", "USD"))
	}
	flags := []string{"-data-dir", spoolDir(t, calls...), "-postgres-url", ""}
	var ids []string
	args := []string{"logs", "--json", "--limit", "2"}
	for range 5 {
		out, errs, code := harborctl(t, "", append(args, flags...)...)
		if code != 0 {
			t.Fatalf("harborctl %q = exit %d: %s", args, code, errs)
		}
		ids = append(ids, jsonIDs(t, out)...)
		_, cursor, ok := strings.Cut(strings.TrimSpace(errs), "next page: --after ")
		if !ok {
			break
		}
		args = []string{"logs", "--json", "--limit", "2", "--after", cursor}
	}
	if got, want := strings.Join(ids, " "), "call-3 call-1 call-4 call-2 call-0"; got != want {
		t.Fatalf("pages = %s, want %s", got, want)
	}
	if _, errs, code := harborctl(t, "", append([]string{"logs", "--after", "yesterday"}, flags...)...); code != 2 || !strings.Contains(errs, "TIME/CALL_ID") {
		t.Errorf("logs --after yesterday = exit %d, stderr %q; want exit 2", code, errs)
	}
}

// TestShowFlagsAfterID: logs show takes its flags after the id too; a
// missing or second id is a usage error that says so in one line.
func TestShowFlagsAfterID(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	dir := spoolDir(t, answered("call-1", "gpt-4o", "success", at, "0.5", "USD"))
	for _, args := range [][]string{
		{"logs", "show", "call-1", "--json", "-data-dir", dir, "-postgres-url", ""},
		{"logs", "show", "-data-dir", dir, "call-1", "--json", "-postgres-url", ""},
		{"logs", "show", "-json", "-data-dir", dir, "-postgres-url", "", "--", "call-1"},
	} {
		out, errs, code := harborctl(t, "", args...)
		if code != 0 || !strings.Contains(out, `"call_id": "call-1"`) {
			t.Errorf("harborctl %q = exit %d, stdout %q, stderr %q; want call-1 as JSON", args, code, out, errs)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"logs", "show"}, "harborctl logs show: missing the id (usage: harborctl logs show [flags] CALL_ID|HB_TRACE_ID|TRACE_ID)\n"},
		{[]string{"logs", "show", "--json"}, "harborctl logs show: missing the id (usage: harborctl logs show [flags] CALL_ID|HB_TRACE_ID|TRACE_ID)\n"},
		{[]string{"logs", "show", "call-1", "call-2"}, "harborctl logs show: unexpected argument \"call-2\" after the id \"call-1\" (usage: harborctl logs show [flags] CALL_ID|HB_TRACE_ID|TRACE_ID)\n"},
	} {
		out, errs, code := harborctl(t, "", append(tc.args, "-data-dir", dir, "-postgres-url", "")...)
		if code != 2 || out != "" || errs != tc.want {
			t.Errorf("harborctl %q = exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, out, errs, tc.want)
		}
	}
}

// TestShowPrices: logs show prints every unit price the cost was made of,
// the cache-write price of an Anthropic call included.
func TestShowPrices(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	c := answered("call-1", "claude-sonnet-4", "success", at, "0.5", "USD")
	c.Cost.InputPrice, c.Cost.OutputPrice = ptr(decimal.RequireFromString("3")), ptr(decimal.RequireFromString("15"))
	c.Cost.CachedInputPrice, c.Cost.CacheWritePrice = ptr(decimal.RequireFromString("0.3")), ptr(decimal.RequireFromString("3.75"))
	c.Cost.Unit = 1_000_000
	out, errs, code := harborctl(t, "", "logs", "show", "-data-dir", spoolDir(t, c), "-postgres-url", "", "call-1")
	if want := "prices per 1000000 tokens: input 3, output 15, cached input 0.3, cache write 3.75"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("logs show = exit %d, stderr %q:\n%s\nwant %q", code, errs, out, want)
	}
}

// TestSharedTraceID: the list names each call by its call id, and logs
// show by a trace id that several calls share says it shows the first and
// how to list them all; by a call id it says nothing more.
func TestSharedTraceID(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	const trace = "4bf92f3577b34da6a3ce929d0e0e4736" // answered's, for both calls
	dir := spoolDir(t, answered("call-1", "gpt-4o", "success", at, "0.5", "USD"),
		answered("call-2", "gpt-4o", "success", at.Add(time.Minute), "0.25", "USD"))

	out, errs, code := harborctl(t, "", "logs", "-data-dir", dir, "-postgres-url", "")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) < 3 || !strings.HasSuffix(strings.TrimSpace(lines[0]), "CALL_ID") ||
		!strings.HasSuffix(strings.TrimSpace(lines[1]), "call-2") || !strings.HasSuffix(strings.TrimSpace(lines[2]), "call-1") {
		t.Errorf("logs = exit %d, stderr %q:\n%s\nwant a CALL_ID column, call-2 then call-1", code, errs, out)
	}

	out, errs, code = harborctl(t, "", "logs", "show", "-data-dir", dir, "-postgres-url", "", trace)
	want := `harborctl logs show: "` + trace + `" is the trace of more than one call; this is its first, call-1; list them all with: harborctl logs --trace-id ` + trace + " (and the same -data-dir or -postgres-url)\n"
	if code != 0 || !strings.HasPrefix(out, "call call-1 ") || !strings.HasSuffix(errs, "\n"+want) {
		t.Errorf("logs show TRACE = exit %d, stderr %q:\n%s\nwant call-1 and stderr %q", code, errs, out, want)
	}
	out, errs, code = harborctl(t, "", "logs", "show", "-data-dir", dir, "-postgres-url", "", "call-2")
	if code != 0 || !strings.HasPrefix(out, "call call-2 ") || strings.Contains(errs, "more than one") {
		t.Errorf("logs show call-2 = exit %d, stderr %q:\n%s\nwant call-2, no note of other calls", code, errs, out)
	}
}
