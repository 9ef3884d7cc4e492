package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/store"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/record"
)

// mustRun runs harborctl and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := harborctl(t, "", args...)
	if code != 0 {
		t.Fatalf("harborctl %s = exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// deepseekCall returns the request and response events of one deepseek-chat
// call of 1000 prompt and 500 completion tokens, started at `at`.
func deepseekCall(id string, at time.Time, custom *event.CustomPricing) []*event.Event {
	h := event.Event{SchemaVersion: 1, CallID: id, HBTraceID: fmt.Sprintf("hb_%013d_%08x", at.UnixMilli(), len(id)),
		TraceID: fmt.Sprintf("%032x", at.UnixNano()), SpanID: fmt.Sprintf("%016x", at.UnixNano()),
		Provider: "deepseek", Model: "deepseek-chat", StartedAt: at, CustomPricing: custom}
	req, resp := h, h
	req.Kind, req.EventID = event.KindRequest, "req-"+id
	req.Request = &event.Request{Method: "POST", Body: `{"model":"deepseek-chat","messages":[{"role":"user","content":"你好"}]}`}
	resp.Kind, resp.EventID = event.KindResponse, "resp-"+id
	resp.Response = &event.Response{Status: event.StatusSuccess, HTTPStatus: 200, FinishedAt: at.Add(time.Second),
		Body: `{"id":"x","object":"chat.completion","model":"deepseek-chat","choices":[{"index":0,"message":{"role":"assistant","content":"好"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500}}`}
	return []*event.Event{&req, &resp}
}

// storedCost is a stored call's cost as "input+output=total CURRENCY source",
// each decimal with its 12 stored places.
func storedCost(c record.Call) string {
	k := c.Cost
	if k == nil || k.TotalCost == nil {
		return "null"
	}
	return fmt.Sprintf("%s+%s=%s %s %s", k.InputCost.StringFixed(12), k.OutputCost.StringFixed(12), k.TotalCost.StringFixed(12), k.Currency, k.PricingSource)
}

func costsByID(t *testing.T, st store.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range testutil.Calls(t, st) {
		out[c.CallID] = storedCost(c)
	}
	return out
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestPricingOverPostgres: set -> history -> show picks the newest
// effective price; the ingestor started after pricing set prices calls
// with it (source dynamic, exact decimals) over the price variables, and a
// call's custom pricing over it; reprice changes the calls in range only,
// and a second reprice changes nothing.
func TestPricingOverPostgres(t *testing.T) {
	url := pgtest.Start(t).NewDB(t)
	pgFlag := []string{"--postgres-url", url}
	_, errs, code := harborctl(t, "", append([]string{"pricing", "history", "--provider", "deepseek"}, pgFlag...)...)
	if code != 1 || !strings.Contains(errs, "harborctl db migrate") {
		t.Errorf("pricing history before the migrations = exit %d, %q; want 1 and a hint to migrate", code, errs)
	}
	mustRun(t, "db", "migrate", "-postgres-url", url)

	// set -> history -> show.
	mustRun(t, append([]string{"pricing", "set", "--provider", "deepseek", "--model", "deepseek-chat",
		"--input", "0.004", "--output", "0.008", "--effective-from", "2025-06-01", "--note", "old list price"}, pgFlag...)...)
	out := mustRun(t, append([]string{"pricing", "set", "--provider", "DeepSeek", "--model", "deepseek-chat",
		"--input", "0.001", "--output", "0.002", "--currency", "RMB", "--unit", "1000", "--effective-from", "2026-01-01T00:00:00Z"}, pgFlag...)...)
	if !strings.Contains(out, "set dynamic price #2: deepseek/deepseek-chat input 0.001, output 0.002 CNY per 1K tokens") {
		t.Errorf("pricing set printed %q", out)
	}
	var hist []struct {
		ID     int64  `json:"id"`
		Input  string `json:"input"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, append([]string{"pricing", "history", "--provider", "deepseek", "--json"}, pgFlag...)...)), &hist); err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Input != "0.004" || hist[0].Status != "past" || hist[1].Input != "0.001" || hist[1].Status != "current" {
		t.Errorf("pricing history --json = %+v, want 0.004 past then 0.001 current", hist)
	}
	var x struct {
		Winner string `json:"winner"`
		Price  struct {
			Input string `json:"input"`
		} `json:"price"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, append([]string{"pricing", "show", "--provider", "deepseek", "--model", "deepseek-chat", "--json"}, pgFlag...)...)), &x); err != nil {
		t.Fatal(err)
	}
	if x.Winner != "dynamic" || x.Price.Input != "0.001" {
		t.Errorf("pricing show = %+v, want dynamic 0.001 (the newest effective price)", x)
	}
	out = mustRun(t, append([]string{"pricing", "show", "--provider", "deepseek", "--model", "deepseek-chat", "--at", "2025-12-31"}, pgFlag...)...)
	if !strings.Contains(out, "input 0.004") || !strings.Contains(out, "dynamic wins") {
		t.Errorf("pricing show --at 2025-12-31 =\n%s\nwant the older price 0.004", out)
	}
	var rows []struct {
		Source, Model string
		Wins          bool
	}
	if err := json.Unmarshal([]byte(mustRun(t, append([]string{"pricing", "list", "--provider", "deepseek", "--model", "deepseek-chat", "--json"}, pgFlag...)...)), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 || rows[0].Source != "dynamic" || !rows[0].Wins || rows[1].Wins {
		t.Errorf("pricing list --json = %+v, want the dynamic row first and winning", rows)
	}

	// The ingestor, started after pricing set, with price variables for
	// the same model.
	cfg := ingestor.DefaultConfig()
	cfg.PostgresURL = url
	in := testutil.StartIngestor(t, cfg, env(map[string]string{"DEEPSEEK_INPUT_PRICE": "0.5", "DEEPSEEK_OUTPUT_PRICE": "0.5"}))
	t0 := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	var evs []*event.Event
	for i := range 4 {
		evs = append(evs, deepseekCall(fmt.Sprintf("call-%d", i), t0.Add(time.Duration(i)*time.Hour), nil)...)
	}
	evs = append(evs, deepseekCall("custom", t0.Add(time.Hour), &event.CustomPricing{InputPrice: "0.01", OutputPrice: "0.02", Currency: "CNY"})...)
	testutil.Publish(t, in.NATSURL, evs)
	st := in.Store(t)
	testutil.WaitComplete(t, st, 5)
	const dynamic = "0.001000000000+0.001000000000=0.002000000000 CNY dynamic"
	const custom = "0.010000000000+0.010000000000=0.020000000000 CNY api_parameter"
	got := costsByID(t, st)
	for id, want := range map[string]string{"call-0": dynamic, "call-3": dynamic, "custom": custom} {
		if got[id] != want {
			t.Errorf("stored cost of %s = %s, want %s", id, got[id], want)
		}
	}

	// A new price, effective before the calls; reprice [call-1, call-3).
	mustRun(t, append([]string{"pricing", "set", "--provider", "deepseek", "--model", "deepseek-chat",
		"--input", "2", "--output", "8", "--unit", "1000000", "--effective-from", "2026-01-02"}, pgFlag...)...)
	reprice := append([]string{"pricing", "reprice", "--since", "2026-01-10T10:00:00Z", "--until", "2026-01-10T12:00:00Z", "--provider", "deepseek"}, pgFlag...)
	out, errs, code = harborctl(t, "", reprice...)
	if code != 0 || !strings.Contains(out, "examined 3 calls: repriced 2, unchanged 0, unpriced 0, custom pricing kept 1") ||
		!strings.Contains(out, "CNY 0.004 -> 0.012") || !strings.Contains(errs, "repricing") {
		t.Errorf("pricing reprice = exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	const repriced = "0.002000000000+0.004000000000=0.006000000000 CNY dynamic"
	got = costsByID(t, st)
	for id, want := range map[string]string{"call-0": dynamic, "call-1": repriced, "call-2": repriced, "call-3": dynamic, "custom": custom} {
		if got[id] != want {
			t.Errorf("after reprice, %s = %s, want %s", id, got[id], want)
		}
	}
	var sum struct{ Examined, Repriced, Unchanged int }
	if err := json.Unmarshal([]byte(mustRun(t, append(reprice, "--json")...)), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Examined != 3 || sum.Repriced != 0 || sum.Unchanged != 2 {
		t.Errorf("second pricing reprice --json = %+v, want 3 examined, 0 repriced, 2 unchanged", sum)
	}
}

// TestIngestorRefreshesDynamicPrices: a price set while the ingestor runs
// is used once the ingestor refreshes (HARBORAI_PRICING_REFRESH=50ms).
func TestIngestorRefreshesDynamicPrices(t *testing.T) {
	url := pgtest.Start(t).NewDB(t)
	cfg := ingestor.DefaultConfig()
	cfg.PostgresURL = url
	in := testutil.StartIngestor(t, cfg, env(map[string]string{"HARBORAI_PRICING_REFRESH": "50ms"}))
	st := in.Store(t)
	t0 := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	testutil.Publish(t, in.NATSURL, deepseekCall("before", t0, nil))
	if c := testutil.WaitComplete(t, st, 1); c[0].Cost.PricingSource != "default_config" {
		t.Fatalf("before pricing set: source %s, want default_config", c[0].Cost.PricingSource)
	}
	mustRun(t, "pricing", "set", "--postgres-url", url, "--provider", "deepseek", "--model", "deepseek-chat",
		"--input", "0.001", "--output", "0.002", "--effective-from", "2026-01-01")
	// Bounded poll: publish a call at a time until one is priced dynamic.
	deadline := time.Now().Add(30 * time.Second)
	for i := 1; ; i++ {
		testutil.Publish(t, in.NATSURL, deepseekCall(fmt.Sprintf("after-%d", i), t0.Add(time.Duration(i)*time.Minute), nil))
		calls := testutil.WaitComplete(t, st, i+1)
		if storedCost(calls[0]) == "0.001000000000+0.001000000000=0.002000000000 CNY dynamic" { // newest first
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no call priced dynamic within 30s; last: %s", storedCost(calls[0]))
		}
	}
}

// TestPricingFileStore: without PostgreSQL, prices live in
// $HARBORAI_DATA_DIR/pricing.json (0600); the ingestor over the same data
// dir prices with them; unset falls back to the other sources; reprice
// says it needs PostgreSQL.
func TestPricingFileStore(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--postgres-url", "", "--data-dir", dir}
	mustRun(t, append([]string{"pricing", "set", "--provider", "deepseek", "--model", "deepseek-chat",
		"--input", "0.001", "--output", "0.002", "--effective-from", "2026-01-01"}, common...)...)
	fi, err := os.Stat(filepath.Join(dir, "pricing.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("pricing.json = %v, %v, want mode 0600", fi, err)
	}

	cfg := ingestor.DefaultConfig()
	cfg.DataDir = dir
	in := testutil.StartIngestor(t, cfg, nil)
	t0 := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	testutil.Publish(t, in.NATSURL, deepseekCall("spooled", t0, nil))
	calls := testutil.WaitComplete(t, in.Store(t), 1)
	if got, want := storedCost(calls[0]), "0.001000000000+0.001000000000=0.002000000000 CNY dynamic"; got != want {
		t.Errorf("stored cost = %s, want %s", got, want)
	}

	mustRun(t, append([]string{"pricing", "unset", "--provider", "deepseek", "--model", "deepseek-chat", "--effective-from", "2026-02-01"}, common...)...)
	out := mustRun(t, append([]string{"pricing", "show", "--provider", "deepseek", "--model", "deepseek-chat", "--at", "2026-03-01"}, common...)...)
	if !strings.Contains(out, "default_config wins") || !strings.Contains(out, "removed") {
		t.Errorf("pricing show after unset =\n%s\nwant default_config, naming the removal", out)
	}
	out = mustRun(t, append([]string{"pricing", "history", "--provider", "deepseek"}, common...)...)
	if !strings.Contains(out, "#1") || !strings.Contains(out, "removed (unset)") {
		t.Errorf("pricing history =\n%s\nwant the price and its removal", out)
	}
	_, errs, code := harborctl(t, "", append([]string{"pricing", "reprice", "--since", "2026-01-01", "--until", "now"}, common...)...)
	if code != 2 || !strings.Contains(errs, "PostgreSQL is not configured") {
		t.Errorf("pricing reprice without PostgreSQL = exit %d, %q; want 2 and a clear message", code, errs)
	}
}

func TestPricingBadFlags(t *testing.T) {
	dir := t.TempDir()
	set := func(extra ...string) []string {
		return append([]string{"pricing", "set", "--postgres-url", "", "--data-dir", dir, "--provider", "deepseek", "--model", "deepseek-chat",
			"--input", "0.001", "--output", "0.002"}, extra...)
	}
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"no command", []string{"pricing"}, "usage: harborctl pricing"},
		{"unknown command", []string{"pricing", "raise"}, `unknown command "raise"`},
		{"negative price", set("--input", "-0.001"), `--input "-0.001": negative`},
		{"negative output", set("--output", "-1"), `--output "-1": negative`},
		{"not a number", set("--cached-input", "cheap"), `--cached-input "cheap": not a decimal number`},
		{"unknown currency", set("--currency", "BTC"), `--currency "BTC": unknown currency`},
		{"missing model", set("--model", ""), "--model: required"},
		{"missing provider", set("--provider", " "), "--provider: required"},
		{"missing input", []string{"pricing", "set", "--postgres-url", "", "--data-dir", dir, "--provider", "p", "--model", "m", "--output", "1"}, "--input: required"},
		{"zero unit", set("--unit", "0"), "--unit 0"},
		{"negative unit", set("--unit", "-5"), `--unit "-5"`},
		{"bad effective date", set("--effective-from", "soon"), "--effective-from"},
		{"unexpected argument", set("extra"), "unexpected arguments"},
		{"unset with a price", []string{"pricing", "unset", "--data-dir", dir, "--provider", "p", "--model", "m", "--input", "1"}, "flag provided but not defined"},
		{"show without model", []string{"pricing", "show", "--provider", "deepseek"}, "--provider and --model are required"},
		{"history without provider", []string{"pricing", "history"}, "--provider is required"},
		{"reprice without since", []string{"pricing", "reprice", "--until", "now", "--postgres-url", "postgres://x/y"}, "--since is required"},
		{"reprice empty range", []string{"pricing", "reprice", "--since", "2026-02-01", "--until", "2026-01-01", "--postgres-url", "postgres://x/y"}, "--since must be before --until"},
		{"reprice bad batch", []string{"pricing", "reprice", "--since", "2026-01-01", "--until", "now", "--batch-size", "0", "--postgres-url", "postgres://x/y"}, "--batch-size 0"},
		{"reprice without PostgreSQL", []string{"pricing", "reprice", "--since", "2026-01-01", "--until", "now", "--postgres-url", ""}, "PostgreSQL is not configured"},
		{"list bad time", []string{"pricing", "list", "--at", "yesterday-ish"}, "--at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs, code := harborctl(t, "", tc.args...)
			if code != 2 || !strings.Contains(errs, tc.says) {
				t.Errorf("harborctl %q = exit %d, stderr %q; want exit 2 saying %q", tc.args, code, errs, tc.says)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "pricing.json")); !os.IsNotExist(err) {
		t.Errorf("a rejected set wrote the price file (stat: %v)", err)
	}
	// Nothing to unset is a run-time error, not a usage error.
	if _, errs, code := harborctl(t, "", "pricing", "unset", "--postgres-url", "", "--data-dir", dir, "--provider", "p", "--model", "m"); code != 1 || !strings.Contains(errs, "nothing to unset") {
		t.Errorf("pricing unset of an unknown model = exit %d, %q; want 1, nothing to unset", code, errs)
	}
}

// TestPricingTextEscapesNotes: a note with control characters cannot drive
// the terminal through the pricing tables.
func TestPricingTextEscapesNotes(t *testing.T) {
	flags := []string{"-data-dir", t.TempDir(), "-postgres-url", ""}
	mustRun(t, append([]string{"pricing", "set", "--provider", "p", "--model", "m", "--input", "1", "--output", "2",
		"--note", "a\x1b[2Jb\nc"}, flags...)...)
	for _, cmd := range [][]string{{"pricing", "history", "--provider", "p"}, {"pricing", "list", "--provider", "p"}, {"pricing", "show", "--provider", "p", "--model", "m"}} {
		out := mustRun(t, append(cmd, flags...)...)
		if strings.Contains(out, "\x1b") || !strings.Contains(out, `a\x1b[2Jb\nc`) {
			t.Errorf("%s printed the note raw or not at all:\n%q", strings.Join(cmd, " "), out)
		}
	}
}
