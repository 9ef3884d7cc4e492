package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"path/filepath"
	"sort"
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
	if code != 0 || !strings.Contains(out, `"calls_deleted":0`) {
		t.Errorf("db prune = exit %d: %s", code, out)
	}
}

// TestDBJSON: db --json prints snake_case keys, as every other --json, and
// db migrate --json a list, empty when the schema is up to date.
func TestDBJSON(t *testing.T) {
	url := pgtest.Start(t).NewDB(t)
	keys := func(t *testing.T, line string) []string {
		t.Helper()
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		var ks []string
		for k := range v {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	out, errs, code := harborctl(t, "", "db", "migrate", "-postgres-url", url, "--json")
	if code != 0 || !strings.HasPrefix(out, `{"applied":["`) {
		t.Errorf("first db migrate --json = exit %d, %q (%s); want the applied migrations", code, out, errs)
	}
	if out, _, code := harborctl(t, "", "db", "migrate", "-postgres-url", url, "--json"); code != 0 || out != `{"applied":[]}`+"\n" {
		t.Errorf("second db migrate --json = exit %d, %q; want {\"applied\":[]}", code, out)
	}
	out, _, code = harborctl(t, "", "db", "status", "-postgres-url", url, "--json")
	var states []json.RawMessage
	if err := json.Unmarshal([]byte(out), &states); code != 0 || err != nil || len(states) == 0 {
		t.Fatalf("db status --json = exit %d, %q (%v)", code, out, err)
	}
	if got, want := strings.Join(keys(t, string(states[0])), " "), "applied applied_at checksum mismatch name unknown version"; got != want {
		t.Errorf("db status --json keys = %s, want %s", got, want)
	}
	out, _, code = harborctl(t, "", "db", "prune", "-postgres-url", url, "-data-dir", t.TempDir(), "--json")
	if got, want := strings.Join(keys(t, out), " "), "bodies_cleared calls_deleted dry_run errors_deleted loaded_segments_removed"; code != 0 || got != want {
		t.Errorf("db prune --json = exit %d, keys %s; want %s", code, got, want)
	}
}

// TestMissingDataDir: without PostgreSQL, a data directory that does not
// exist (a typo) is an error naming it, exit 1, not an empty store; an
// existing one without spool/ (an ingestor whose store is PostgreSQL) is
// an empty store.
func TestMissingDataDir(t *testing.T) {
	t.Setenv("HARBORAI_POSTGRES_URL", "")
	missing := filepath.Join(t.TempDir(), "harborai-dat")
	empty := t.TempDir()
	for _, tc := range []struct {
		args      []string
		emptyCode int // over a data directory without spool/
	}{
		{[]string{"logs"}, 0},
		{[]string{"logs", "--json"}, 0},
		{[]string{"logs", "show", "call-1"}, 1}, // no such call
		{[]string{"stats"}, 0},
		{[]string{"stats", "--json"}, 0},
	} {
		args := tc.args
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errs, code := harborctl(t, "", append(append([]string{}, args...), "-data-dir", missing)...)
			want := "no spool at " + filepath.Join(missing, "spool") + ": data directory " + missing + " does not exist"
			if code != 1 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, want) {
				t.Errorf("harborctl %q -data-dir %s = exit %d, stdout %q, stderr %q; want exit 1 and one line with %q", args, missing, code, out, errs, want)
			}
			t.Setenv("HARBORAI_DATA_DIR", missing)
			if _, errs, code := harborctl(t, "", args...); code != 1 || !strings.Contains(errs, want) {
				t.Errorf("HARBORAI_DATA_DIR=%s harborctl %q = exit %d, stderr %q; want exit 1 and %q", missing, args, code, errs, want)
			}
			t.Setenv("HARBORAI_DATA_DIR", "")
			if _, errs, code := harborctl(t, "", append(append([]string{}, args...), "-data-dir", empty)...); code != tc.emptyCode || !strings.Contains(errs, "source: spool") {
				t.Errorf("harborctl %q over a data directory without spool/ = exit %d, stderr %q; want exit %d", args, code, errs, tc.emptyCode)
			}
		})
	}
}

// TestHelpMasksPassword: -h shows a PostgreSQL URL taken from the
// environment with its password masked; the value used is the real one.
func TestHelpMasksPassword(t *testing.T) {
	t.Setenv("HARBORAI_POSTGRES_URL", "postgres://user:secret@host/db")
	for _, args := range [][]string{{"logs", "-h"}, {"logs", "show", "-h"}, {"stats", "-h"}, {"pricing", "list", "-h"}, {"pricing", "reprice", "-h"}} {
		if _, errs, code := harborctl(t, "", args...); code != 0 || strings.Contains(errs, "secret") || !strings.Contains(errs, `(default "postgres://user:xxxxx@host/db")`) {
			t.Errorf("harborctl %q = exit %d, stderr %q; want the URL with its password masked", args, code, errs)
		}
	}
	dsn := env(map[string]string{"HARBORAI_POSTGRES_URL": "host=h user=u password=secret dbname=d"})
	for _, cmd := range []string{"migrate", "status", "prune"} {
		var out, errb strings.Builder
		if code := dbCmd([]string{cmd, "-h"}, dsn, &out, &errb); code != 0 || strings.Contains(errb.String(), "secret") || !strings.Contains(errb.String(), "password=xxxxx") {
			t.Errorf("harborctl db %s -h = exit %d, stderr %q; want the DSN with its password masked", cmd, code, errb.String())
		}
	}
	f, err := parseDBFlags("migrate", nil, dsn, io.Discard)
	if err != nil || f.pgURL != "host=h user=u password=secret dbname=d" {
		t.Errorf("parseDBFlags over a DSN = %q, %v; want the DSN as it is", f.pgURL, err)
	}
	var sf storeFlags
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	sf.register(fs)
	if err := fs.Parse(nil); err != nil || sf.pgURL != "postgres://user:secret@host/db" {
		t.Errorf("store flags' URL = %q, %v; want the URL as it is", sf.pgURL, err)
	}
}

// TestSchemaHint: logs, logs show and stats on a database the migrations
// have not reached say what to do, as the pricing commands do.
func TestSchemaHint(t *testing.T) {
	url := pgtest.Start(t).NewDB(t)
	for _, args := range [][]string{{"logs"}, {"logs", "show", "call-1"}, {"stats"}, {"pricing", "history", "--provider", "openai"}} {
		_, errs, code := harborctl(t, "", append(append([]string{}, args...), "-postgres-url", url)...)
		if code != 1 || !strings.Contains(errs, "does not exist (SQLSTATE 42P01) (apply the schema migrations: harborctl db migrate)\n") {
			t.Errorf("harborctl %q on an empty database = exit %d, stderr %q; want exit 1 and the hint", args, code, errs)
		}
	}
}
