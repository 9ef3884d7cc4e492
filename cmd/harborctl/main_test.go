package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/testutil"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func harborctl(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// TestLogsOverSpoolAndPostgres: logs --json prints one object per call with
// the fields operators rely on, from the spool and from PostgreSQL alike;
// logs show finds a call by either trace id; stats sums per currency.
func TestLogsOverSpoolAndPostgres(t *testing.T) {
	const n = 30
	evs := testutil.CallEvents(n)
	cluster := pgtest.Start(t)
	for _, tc := range []struct {
		name, pgURL, source string
	}{
		{"spool", "", "source: spool"},
		{"postgres", cluster.NewDB(t), "source: postgres"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ingestor.DefaultConfig()
			cfg.PostgresURL = tc.pgURL
			in := testutil.StartIngestor(t, cfg, nil)
			testutil.Publish(t, in.NATSURL, evs)
			testutil.WaitComplete(t, in.Store(t), n)
			common := []string{"-data-dir", in.Cfg.DataDir, "-postgres-url", tc.pgURL}

			out, errs, code := harborctl(t, "", append([]string{"logs", "--json", "--limit", "1000"}, common...)...)
			if code != 0 || !strings.Contains(errs, tc.source) {
				t.Fatalf("logs --json = exit %d, stderr %q", code, errs)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != n {
				t.Fatalf("logs --json printed %d lines, want %d", len(lines), n)
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &v); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"provider", "model", "status", "prompt_tokens", "completion_tokens", "total_tokens", "cost_info", "hb_trace_id", "trace_id"} {
				if _, ok := v[k]; !ok {
					t.Errorf("logs --json object lacks %q: %s", k, lines[0])
				}
			}
			// Newest first: call-000029 started last.
			if v["call_id"] != "call-000029" || v["status"] != "success" || v["total_tokens"] != float64(100+29+20+29) {
				t.Errorf("first line = %v, want call-000029, success, %d tokens", v, 178)
			}

			hb := v["hb_trace_id"].(string)
			tr := v["trace_id"].(string)
			for _, id := range []string{hb, tr, "call-000029"} {
				out, _, code := harborctl(t, "", append([]string{"logs", "show", "-json"}, append(common, id)...)...)
				if code != 0 || !strings.Contains(out, `"call_id": "call-000029"`) {
					t.Errorf("logs show %s = exit %d, %s", id, code, out)
				}
			}
			if out, _, code := harborctl(t, "", append([]string{"logs", "show"}, append(common, hb)...)...); code != 0 || !strings.Contains(out, "** total 178 **") {
				t.Errorf("logs show (tree) = exit %d:\n%s", code, out)
			}
			if _, _, code := harborctl(t, "", append([]string{"logs", "show"}, append(common, "no-such-call")...)...); code != 1 {
				t.Errorf("logs show no-such-call = exit %d, want 1", code)
			}

			out, _, code = harborctl(t, "", append([]string{"stats"}, common...)...)
			if code != 0 || !strings.Contains(out, "gpt-4o-mini") || !strings.Contains(out, "USD") || !strings.Contains(out, "total: 30 calls") {
				t.Errorf("stats = exit %d:\n%s", code, out)
			}
		})
	}
}

// TestUsageCommand: the exact keys of the contract, null for what the
// vendor did not report.
func TestUsageCommand(t *testing.T) {
	body := `{"id":"msg_1","type":"message","model":"claude-sonnet-4-5","usage":{"input_tokens":10,"cache_read_input_tokens":5,"cache_creation_input_tokens":3,"output_tokens":7}}`
	out, errs, code := harborctl(t, body, "usage", "--provider", "anthropic")
	if code != 0 {
		t.Fatalf("usage = exit %d: %s", code, errs)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"prompt_tokens": 18.0, "completion_tokens": 7.0, "total_tokens": 25.0, "cached_tokens": 5.0,
		"reasoning_tokens": nil, "cache_write_tokens": 3.0, "usage_missing": false, "is_error": false}
	for k, w := range want {
		if got, ok := v[k]; !ok || got != w {
			t.Errorf("usage[%q] = %v (present %v), want %v", k, got, ok, w)
		}
	}
}

func TestBadInvocations(t *testing.T) {
	for _, args := range [][]string{{}, {"nope"}, {"usage"}, {"logs", "--since", "yesterday-ish"}, {"logs", "show"}, {"db"}, {"db", "migrate"}} {
		t.Setenv("HARBORAI_POSTGRES_URL", "")
		if _, _, code := harborctl(t, "", args...); code != 2 {
			t.Errorf("harborctl %q = exit %d, want 2", args, code)
		}
	}
}

// TestHelpFlag: -h on any command prints its flags on stderr and exits 0,
// nothing else done: help is not a usage error.
func TestHelpFlag(t *testing.T) {
	t.Setenv("HARBORAI_POSTGRES_URL", "")
	for _, args := range [][]string{{"logs", "-h"}, {"logs", "show", "-h"}, {"stats", "--help"}, {"usage", "-h"},
		{"db", "migrate", "-h"}, {"db", "prune", "-h"}, {"db", "status", "-h"},
		{"pricing", "list", "-h"}, {"pricing", "set", "-h"}, {"pricing", "show", "-h"}, {"pricing", "history", "-h"},
		{"pricing", "unset", "-h"}, {"pricing", "reprice", "-h"}} {
		out, errs, code := harborctl(t, "", args...)
		if code != 0 || out != "" || !strings.Contains(errs, "  -") {
			t.Errorf("harborctl %q = exit %d, stdout %q, stderr %q; want 0 and the flags on stderr", args, code, out, errs)
		}
	}
}

// TestDBCommands: migrate twice, status, prune against a private cluster.
func TestDBCommands(t *testing.T) {
	url := pgtest.Start(t).NewDB(t)
	for i := range 2 {
		out, errs, code := harborctl(t, "", "db", "migrate", "-postgres-url", url)
		if code != 0 {
			t.Fatalf("db migrate #%d = exit %d: %s", i+1, code, errs)
		}
		if i == 1 && !strings.Contains(out, "up to date") {
			t.Errorf("second db migrate = %q, want up to date", out)
		}
	}
	out, _, code := harborctl(t, "", "db", "status", "-postgres-url", url)
	if code != 0 || strings.Contains(out, "pending") || !strings.Contains(out, "applied") {
		t.Errorf("db status = exit %d:\n%s", code, out)
	}
	out, _, code = harborctl(t, "", "db", "prune", "-postgres-url", url, "-json")
	if code != 0 || !strings.Contains(out, "CallsDeleted") {
		t.Errorf("db prune = exit %d: %s", code, out)
	}
}
