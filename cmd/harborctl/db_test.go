package main

import (
	"bytes"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
)

// TestParseDBFlagsRetention: db prune keeps what the ingestor keeps: the
// retention flags default to HARBORAI_RETAIN_*, flags override, and bad or
// negative values are refused, as is a data directory named that does not
// exist.
func TestParseDBFlagsRetention(t *testing.T) {
	const day = 24 * time.Hour
	url := map[string]string{"HARBORAI_POSTGRES_URL": "postgres://unused"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{"HARBORAI_POSTGRES_URL": "postgres://unused"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		want    [3]time.Duration // bodies, errors, calls
		wantErr string
	}{
		{"defaults", nil, url, [3]time.Duration{30 * day, 90 * day, 365 * day}, ""},
		{"environment keeps forever", nil, with("HARBORAI_RETAIN_BODIES", "0", "HARBORAI_RETAIN_ERRORS", "0", "HARBORAI_RETAIN_CALLS", "0"), [3]time.Duration{}, ""},
		{"environment durations", nil, with("HARBORAI_RETAIN_BODIES", "1h", "HARBORAI_RETAIN_CALLS", "48h"), [3]time.Duration{time.Hour, 90 * day, 48 * time.Hour}, ""},
		{"empty variable is unset", nil, with("HARBORAI_RETAIN_CALLS", ""), [3]time.Duration{30 * day, 90 * day, 365 * day}, ""},
		{"flag over environment", []string{"--calls", "10h"}, with("HARBORAI_RETAIN_CALLS", "0"), [3]time.Duration{30 * day, 90 * day, 10 * time.Hour}, ""},
		{"invalid variable", nil, with("HARBORAI_RETAIN_ERRORS", "90d"), [3]time.Duration{}, `HARBORAI_RETAIN_ERRORS "90d": not a duration`},
		{"negative variable", nil, with("HARBORAI_RETAIN_BODIES", "-1h"), [3]time.Duration{}, "--bodies (or $HARBORAI_RETAIN_BODIES) -1h0m0s: must be >= 0"},
		{"negative flag", []string{"--errors", "-1s"}, url, [3]time.Duration{}, "--errors (or $HARBORAI_RETAIN_ERRORS) -1s: must be >= 0"},
		{"no URL", nil, map[string]string{}, [3]time.Duration{}, "--postgres-url (or $HARBORAI_POSTGRES_URL) is required"},
		// A data directory named and missing is a typo; the default may be missing.
		{"missing data directory flag", []string{"--data-dir", "/no/such/harborai-data"}, url, [3]time.Duration{}, "--data-dir (or $HARBORAI_DATA_DIR) /no/such/harborai-data: not a directory"},
		{"missing data directory variable", nil, with("HARBORAI_DATA_DIR", "/no/such/harborai-data"), [3]time.Duration{}, "/no/such/harborai-data: not a directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseDBFlags("prune", tc.args, env(tc.env), io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("parseDBFlags(%q, env %v) = %v, want an error with %q", tc.args, tc.env, err, tc.wantErr)
				}
				return
			}
			if got := [3]time.Duration{f.ret.Bodies, f.ret.Errors, f.ret.Calls}; err != nil || got != tc.want {
				t.Errorf("parseDBFlags(%q, env %v) = %v, %v, want %v", tc.args, tc.env, got, err, tc.want)
			}
		})
	}
}

// TestDBPruneHonoursRetainVariables: with HARBORAI_RETAIN_*=0 a call two
// years old stays; a --calls flag still prunes it. A JSON answer that
// cannot be written is exit 1.
func TestDBPruneHonoursRetainVariables(t *testing.T) {
	url := pgtest.Start(t).NewDB(t)
	w, err := pg.NewWriter(t.Context(), pg.Config{URL: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	if _, err := pg.Migrate(t.Context(), w.Pool()); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * 365 * 24 * time.Hour).UTC().Truncate(time.Microsecond)
	if err := w.Write(t.Context(), []record.Call{{CallID: "old-1", Provider: "openai", Model: "m", StartedAt: old, RequestEventID: "r1", RequestBody: ptr("{}")}}); err != nil {
		t.Fatal(err)
	}
	keep := env(map[string]string{"HARBORAI_POSTGRES_URL": url, "HARBORAI_RETAIN_BODIES": "0", "HARBORAI_RETAIN_ERRORS": "0", "HARBORAI_RETAIN_CALLS": "0"})
	left := func() (n int, bodies int) {
		t.Helper()
		if err := w.Pool().QueryRow(t.Context(), "SELECT count(*), count(request_body) FROM calls").Scan(&n, &bodies); err != nil {
			t.Fatal(err)
		}
		return n, bodies
	}
	for _, tc := range []struct {
		name               string
		args               []string
		wantCalls, wantBod int
	}{
		{"variables keep everything", []string{"prune"}, 1, 1},
		{"dry run changes nothing", []string{"prune", "--dry-run", "--calls", "8760h"}, 1, 1},
		{"flag clears bodies", []string{"prune", "--bodies", "24h"}, 1, 0},
		{"flag deletes calls", []string{"prune", "--calls", "8760h"}, 0, 0},
	} {
		var out, errb strings.Builder
		code := dbCmd(tc.args, keep, &out, &errb)
		if n, b := left(); code != 0 || n != tc.wantCalls || b != tc.wantBod {
			t.Errorf("%s: db %q = exit %d (%q %q), %d calls and %d bodies left, want %d and %d", tc.name, tc.args, code, out.String(), errb.String(), n, b, tc.wantCalls, tc.wantBod)
		}
		if len(tc.args) > 1 && tc.args[1] == "--dry-run" && !strings.Contains(out.String(), "would clear bodies of 0 calls, delete 0 error calls and 1 calls past retention") {
			t.Errorf("%s: db %q printed %q, want what a prune would do: delete the 1 call", tc.name, tc.args, out.String())
		}
	}
	var errb strings.Builder
	if code := dbCmd([]string{"status", "-json"}, keep, failingWriter{}, &errb); code != 1 || !strings.Contains(errb.String(), "broken pipe") {
		t.Errorf("db status -json to a failing stdout = exit %d, stderr %q; want exit 1 and the error", code, errb.String())
	}
}

// TestDBPruneRemovesLoadedSegments: prune also removes the spool segments
// the replayer loaded into PostgreSQL (spool/done/) once older than the
// bodies' retention, since they hold the same bodies; the newer stay, and
// nothing goes when the variables keep everything.
func TestDBPruneRemovesLoadedSegments(t *testing.T) {
	url := pgtest.Start(t).NewDB(t)
	dataDir := t.TempDir()
	segs := testutil.LoadedSegments(t, filepath.Join(dataDir, "spool"), 40*24*time.Hour, 2*24*time.Hour)
	oldSeg, newSeg := segs[0], segs[1]
	exists := testutil.Exists

	vars := map[string]string{"HARBORAI_POSTGRES_URL": url, "HARBORAI_DATA_DIR": dataDir, "HARBORAI_RETAIN_BODIES": "0", "HARBORAI_RETAIN_CALLS": "0"}
	var out, errb strings.Builder
	if code := dbCmd([]string{"migrate"}, env(vars), &out, &errb); code != 0 {
		t.Fatalf("db migrate = exit %d: %s", code, errb.String())
	}
	if code := dbCmd([]string{"prune"}, env(vars), &out, &errb); code != 0 || !exists(oldSeg) || !exists(newSeg) {
		t.Fatalf("db prune keeping everything = exit %d (%s); old segment kept %v, new %v; want both kept", code, errb.String(), exists(oldSeg), exists(newSeg))
	}
	vars["HARBORAI_RETAIN_BODIES"] = "720h"
	out.Reset()
	if code := dbCmd([]string{"prune"}, env(vars), &out, &errb); code != 0 || exists(oldSeg) || !exists(newSeg) ||
		!strings.Contains(out.String(), "removed 1 loaded spool segments") {
		t.Fatalf("db prune with 30 days = exit %d (%q, %s); old segment kept %v, new %v; want only the old one removed",
			code, out.String(), errb.String(), exists(oldSeg), exists(newSeg))
	}
}

// TestDBMigrateErrorPrefix: a failed migration names the step once
// ("harborctl db: migrate: ..."), as the replayer does.
func TestDBMigrateErrorPrefix(t *testing.T) {
	url := pgtest.Start(t).NewDB(t)
	vars := env(map[string]string{"HARBORAI_POSTGRES_URL": url})
	var out, errb strings.Builder
	if code := dbCmd([]string{"migrate"}, vars, &out, &errb); code != 0 {
		t.Fatalf("db migrate = exit %d: %s", code, errb.String())
	}
	pool, err := pg.NewPool(t.Context(), pg.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(t.Context(), `UPDATE schema_migrations SET checksum = 'edited'`); err != nil {
		t.Fatal(err)
	}
	errb.Reset()
	code := dbCmd([]string{"migrate"}, vars, &out, &errb)
	if code != 1 || !strings.HasPrefix(errb.String(), "harborctl db: migrate: ") || strings.Contains(errb.String(), "migrate: migrate:") {
		t.Errorf("db migrate over an edited migration = exit %d, stderr %q; want exit 1 and \"harborctl db: migrate: ...\"", code, errb.String())
	}
}

// TestDBSchemaDrift: db status exits 1 when a migration changed since it
// was applied (scripts checking the schema see what stops the ingestor),
// and db migrate warns of a migration this release does not know (a newer
// release migrated the database) rather than say nothing.
func TestDBSchemaDrift(t *testing.T) {
	url := pgtest.Start(t).NewDB(t)
	vars := env(map[string]string{"HARBORAI_POSTGRES_URL": url})
	var out, errb strings.Builder
	if code := dbCmd([]string{"migrate"}, vars, &out, &errb); code != 0 || errb.Len() != 0 {
		t.Fatalf("db migrate = exit %d, stderr %q", code, errb.String())
	}
	if code := dbCmd([]string{"status"}, vars, &out, &errb); code != 0 {
		t.Fatalf("db status of an up-to-date schema = exit %d: %s", code, errb.String())
	}
	pool, err := pg.NewPool(t.Context(), pg.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(t.Context(), `INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, '9999_from_a_newer_release', 'x')`); err != nil {
		t.Fatal(err)
	}
	errb.Reset()
	if code := dbCmd([]string{"migrate"}, vars, &out, &errb); code != 0 || !strings.Contains(errb.String(), "warning: the database has migration 9999_from_a_newer_release, which this release does not know") {
		t.Errorf("db migrate over a newer schema = exit %d, stderr %q; want exit 0 and a warning naming 9999_from_a_newer_release", code, errb.String())
	}
	if _, err := pool.Exec(t.Context(), `UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	errb.Reset()
	if code := dbCmd([]string{"status"}, vars, &out, &errb); code != 1 || !strings.Contains(errb.String(), "changed since it was applied") {
		t.Errorf("db status over an edited migration = exit %d, stderr %q; want exit 1 naming it", code, errb.String())
	}
}

// TestDBTimeout: a database that never answers is reported after -timeout,
// naming the flag, where before every db command waited 10 minutes; a
// negative -timeout is a flag error.
func TestDBTimeout(t *testing.T) {
	url := "postgres://harbor@" + testutil.SilentAddr(t) + "/harbor?sslmode=disable"
	for _, cmd := range []string{"migrate", "status", "prune"} {
		t.Run(cmd, func(t *testing.T) {
			start := time.Now()
			_, stderr, code := harborctl(t, "", "db", cmd, "-postgres-url", url, "-timeout", "300ms")
			if code != 1 || !strings.Contains(stderr, "gave up after 300ms (-timeout") {
				t.Errorf("db %s against a silent server: exit %d, stderr %q; want 1 and the timeout named", cmd, code, stderr)
			}
			if took := time.Since(start); took > 30*time.Second {
				t.Errorf("db %s took %v to give up", cmd, took)
			}
		})
	}
	_, stderr, code := harborctl(t, "", "db", "status", "-postgres-url", url, "-timeout", "-1s")
	if code != 2 || !strings.Contains(stderr, "--timeout -1s: must be >= 0") {
		t.Errorf("db status -timeout -1s: exit %d, stderr %q; want 2 and why", code, stderr)
	}
}

// TestDBInterrupt: Ctrl-C stops a db command waiting for its database, with
// exit status 130, as the replayer's.
func TestDBInterrupt(t *testing.T) {
	// Delivered to this test's channel too, SIGINT cannot end the test
	// binary, whether or not the command listens yet.
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)

	url := "postgres://harbor@" + testutil.SilentAddr(t) + "/harbor?sslmode=disable"
	type result struct {
		stderr string
		code   int
	}
	done := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		code := run([]string{"db", "status", "-postgres-url", url, "-timeout", "0"}, strings.NewReader(""), &out, &errb)
		done <- result{errb.String(), code}
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case r := <-done:
			if r.code != 130 || !strings.Contains(r.stderr, "interrupted") {
				t.Errorf("db status interrupted: exit %d, stderr %q; want 130 and \"interrupted\"", r.code, r.stderr)
			}
			return
		case <-tick.C:
			// Again until the command, which may not listen yet, ends.
			if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
		case <-deadline:
			t.Fatal("db status -timeout 0 did not stop on SIGINT within 30s")
		}
	}
}
