package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/replay"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/record"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestReplaySpoolIntoPostgres: calls stored in the spool (no PostgreSQL)
// and replayed into a new PostgreSQL equal a direct ingest of the same
// events; a second run adds nothing; replaying the same segments again
// finds every call already present and changes no row.
func TestReplaySpoolIntoPostgres(t *testing.T) {
	const n = 400
	evs := testutil.CallEvents(n)
	cluster := pgtest.Start(t)

	// Spool only.
	spoolCfg := ingestor.DefaultConfig()
	spooled := testutil.StartIngestor(t, spoolCfg, nil)
	testutil.Publish(t, spooled.NATSURL, evs)
	testutil.WaitComplete(t, spooled.Store(t), n)
	if err := spooled.Stop(); err != nil {
		t.Fatal(err)
	}

	// Direct into PostgreSQL, the reference.
	directCfg := ingestor.DefaultConfig()
	directCfg.PostgresURL = cluster.NewDB(t)
	direct := testutil.StartIngestor(t, directCfg, nil)
	testutil.Publish(t, direct.NATSURL, evs)
	want := testutil.WaitComplete(t, direct.Store(t), n)

	// Replay the spool into a fresh database.
	url := cluster.NewDB(t)
	spoolDir := ingestor.SpoolDir(spooled.Cfg.DataDir)
	sum := replayJSON(t, "-postgres-url", url, "-quiet", spoolDir)
	if sum.Calls != n || sum.AlreadyPresent != 0 || sum.Corrupt != 0 || sum.Segments == 0 {
		t.Fatalf("first replay summary = %+v, want %d calls, none present, no corrupt line", sum, n)
	}
	replayed := &testutil.Ingestor{Cfg: ingestor.Config{PostgresURL: url}}
	got := testutil.Calls(t, replayed.Store(t))
	assertSameCalls(t, got, want)
	assertSameStoredText(t, url, directCfg.PostgresURL)

	// A second run: the segments were moved to done/, nothing to load.
	if sum := replayJSON(t, "-postgres-url", url, "-quiet", spoolDir); sum.Records != 0 || sum.Calls != 0 {
		t.Fatalf("second replay summary = %+v, want nothing loaded", sum)
	}
	// The same segments again (copied back from done/): all already present.
	copyDone(t, spoolDir)
	if sum := replayJSON(t, "-postgres-url", url, "-quiet", spoolDir); sum.Calls != n || sum.AlreadyPresent != n {
		t.Fatalf("replay of loaded segments = %+v, want %d calls all already present", sum, n)
	}
	assertSameCalls(t, testutil.Calls(t, replayed.Store(t)), want)
}

// TestReplayDryRunWritesNothing: --dry-run counts and moves nothing.
func TestReplayDryRunWritesNothing(t *testing.T) {
	const n = 50
	dir := ingestedSpool(t, n)
	before, _ := filepath.Glob(filepath.Join(dir, "seg-*"))
	sum := replayJSON(t, "-dry-run", "-quiet", dir)
	if sum.Calls != n || sum.Records < n {
		t.Fatalf("dry run summary = %+v, want %d calls", sum, n)
	}
	after, _ := filepath.Glob(filepath.Join(dir, "seg-*"))
	if len(before) == 0 || strings.Join(before, ",") != strings.Join(after, ",") {
		t.Fatalf("dry run changed the spool: %v -> %v", before, after)
	}
}

// TestReplayDryRunBeforeMigrations: a dry run against a database the
// migrations have not reached yet counts what a replay would load, all new.
func TestReplayDryRunBeforeMigrations(t *testing.T) {
	const n = 20
	dir := ingestedSpool(t, n)
	url := pgtest.Start(t).NewDB(t)
	sum := replayJSON(t, "-dry-run", "-quiet", "-postgres-url", url, dir)
	if sum.Calls != n || sum.AlreadyPresent != 0 {
		t.Fatalf("dry run summary = %+v, want %d calls, none present", sum, n)
	}
}

// TestReplayTextSummary: without --json the summary says how many calls
// were loaded and how many of them were already present: none on the first
// run, all when the same segment is loaded again.
func TestReplayTextSummary(t *testing.T) {
	url := migratedDB(t)
	dir := filepath.Join(t.TempDir(), "spool")
	writeSpool(t, dir, [][]byte{mustJSON(t, storedCall("call-1")), mustJSON(t, storedCall("call-2")), mustJSON(t, storedCall("call-3"))})
	for _, want := range []string{
		"loaded 1 segments (0 skipped: claimed or active), 3 records (0 raw events), 3 calls (0 already present), 0 corrupt lines, 0 quarantined (0 calls rejected by PostgreSQL)\n",
		"loaded 1 segments (0 skipped: claimed or active), 3 records (0 raw events), 3 calls (3 already present), 0 corrupt lines, 0 quarantined (0 calls rejected by PostgreSQL)\n",
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"-postgres-url", url, "-quiet", dir}, &out, &errb); code != 0 {
			t.Fatalf("replayer = exit %d: %s", code, errb.String())
		}
		if out.String() != want {
			t.Errorf("replayer printed %q, want %q", out.String(), want)
		}
		copyDone(t, dir) // the same segment again
	}
}

// TestHelpFlag: -h prints the flags and exits 0, loading nothing.
func TestHelpFlag(t *testing.T) {
	var out, errb bytes.Buffer
	t.Setenv("HARBORAI_POSTGRES_URL", "")
	if code := run(context.Background(), []string{"-h"}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "-dry-run") {
		t.Errorf("replayer -h = %d, stderr %q; want 0 and the flags", code, errb.String())
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{}, {"-batch-size", "0", "-dry-run"}, {"-nope"}} {
		var out, errb bytes.Buffer
		t.Setenv("HARBORAI_POSTGRES_URL", "")
		if code := run(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("run(%q) = %d, want 2 (stderr %q)", args, code, errb.String())
		}
	}
}

// ingestedSpool is the spool of an ingestor without PostgreSQL that stored
// n calls (testutil.CallEvents) and stopped.
func ingestedSpool(t *testing.T, n int) string {
	t.Helper()
	in := testutil.StartIngestor(t, ingestor.DefaultConfig(), nil)
	testutil.Publish(t, in.NATSURL, testutil.CallEvents(n))
	testutil.WaitComplete(t, in.Store(t), n)
	if err := in.Stop(); err != nil {
		t.Fatal(err)
	}
	return ingestor.SpoolDir(in.Cfg.DataDir)
}

func replayJSON(t *testing.T, args ...string) replay.Summary {
	t.Helper()
	return replayJSONExit(t, 0, args...)
}

// replayJSONExit is replayJSON of a run that exits with status code.
func replayJSONExit(t *testing.T, want int, args ...string) replay.Summary {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), append([]string{"-json"}, args...), &out, &errb); code != want {
		t.Fatalf("replayer %q = exit %d, want %d: %s", args, code, want, errb.String())
	}
	var s replay.Summary
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatalf("summary %q: %v", out.String(), err)
	}
	return s
}

func copyDone(t *testing.T, dir string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "done", "seg-*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func assertSameCalls(t *testing.T, got, want []record.Call) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d calls, want %d", len(got), len(want))
	}
	norm := func(cs []record.Call) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			c.SpoolReason = ""
			b, _ := json.Marshal(c)
			out[i] = string(b)
		}
		sort.Strings(out)
		return out
	}
	g, w := norm(got), norm(want)
	for i := range g {
		if g[i] != w[i] {
			t.Fatalf("calls differ:\n got %s\nwant %s", g[i], w[i])
		}
	}
}

// assertSameStoredText fails unless the calls of the databases at got and
// want read alike as PostgreSQL prints them, every column but the times of
// writing and the spool's reason: a cost stored as 0.0000045 in one and
// 0.000004500000 in the other is equal as a number, not to the operator
// who reads it.
func assertSameStoredText(t *testing.T, got, want string) {
	t.Helper()
	const q = `SELECT (to_jsonb(c) - 'ingested_at' - 'updated_at' - 'spool_reason')::text FROM calls c ORDER BY call_id`
	read := func(url string) []string {
		var out []string
		rows, err := openPool(t, url).Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	g, w := read(got), read(want)
	if len(g) != len(w) {
		t.Fatalf("%d rows, want %d", len(g), len(w))
	}
	for i := range g {
		if g[i] != w[i] {
			t.Fatalf("stored rows read differently:\n got %s\nwant %s", g[i], w[i])
		}
	}
}

// TestHelpMasksPassword: -h shows the PostgreSQL URL of the environment
// with its password masked.
func TestHelpMasksPassword(t *testing.T) {
	t.Setenv("HARBORAI_POSTGRES_URL", "postgres://user:secret@host/db")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, &out, &errb); code != 0 || strings.Contains(errb.String(), "secret") ||
		!strings.Contains(errb.String(), `(default "postgres://user:xxxxx@host/db")`) {
		t.Errorf("replayer -h = %d, stderr %q; want the URL with its password masked", code, errb.String())
	}
}

// TestNoSpool: without a SPOOL_DIR, a data directory without spool/ (an
// ingestor whose store is PostgreSQL never creates it) is nothing to load,
// exit 0; a data directory that does not exist, or a SPOOL_DIR given that
// does not, is an error; each says so in one line, with no summary.
func TestNoSpool(t *testing.T) {
	t.Setenv("HARBORAI_POSTGRES_URL", "")
	dataDir := t.TempDir()
	typo := filepath.Join(t.TempDir(), "harborai-dat")
	file := filepath.Join(dataDir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		args       []string
		code       int
		stdout     string
		wantStderr string
	}{
		{"data dir without spool", []string{"-data-dir", dataDir}, 0, "",
			"replayer: no spool at " + filepath.Join(dataDir, "spool") + ": nothing to load\n"},
		{"data dir without spool, JSON", []string{"-json", "-data-dir", dataDir}, 0, `{"segments":0`,
			"replayer: no spool at " + filepath.Join(dataDir, "spool") + ": nothing to load\n"},
		{"data dir missing", []string{"-data-dir", typo}, 1, "",
			"replayer: no spool at " + filepath.Join(typo, "spool") + ": data directory " + typo + " does not exist\n"},
		{"spool dir missing", []string{filepath.Join(typo, "spool")}, 1, "",
			"replayer: no spool at " + filepath.Join(typo, "spool") + ": directory does not exist\n"},
		{"spool dir a file", []string{file}, 1, "",
			"replayer: no spool at " + file + ": not a directory\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"-dry-run", "-quiet"}, tc.args...)
			code := run(context.Background(), args, &out, &errb)
			if code != tc.code || !strings.HasPrefix(out.String(), tc.stdout) || (tc.stdout == "") != (out.Len() == 0) || errb.String() != tc.wantStderr {
				t.Errorf("replayer %q = exit %d, stdout %q, stderr %q; want exit %d, stdout %q..., stderr %q",
					args, code, out.String(), errb.String(), tc.code, tc.stdout, tc.wantStderr)
			}
		})
	}
}

// TestRefusesDoneDir: a spool's done/ (the segments already loaded) is
// refused, exit 2: loading it would move its segments to done/done/,
// where retention never looks.
func TestRefusesDoneDir(t *testing.T) {
	url := migratedDB(t)
	dir := filepath.Join(t.TempDir(), "spool")
	writeSpool(t, dir, [][]byte{mustJSON(t, storedCall("call-1"))})
	replayJSON(t, "-postgres-url", url, "-quiet", dir)
	for _, done := range []string{filepath.Join(dir, "done"), filepath.Join(dir, "done") + "/", filepath.Join(dir, "done", ".")} {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"-quiet", "-postgres-url", url, done}, &out, &errb)
		want := "replayer: " + filepath.Join(dir, "done") + ": a spool's done/ directory (segments already loaded); to load them again, move them back to " + dir + "\n"
		if code != 2 || out.Len() != 0 || errb.String() != want {
			t.Errorf("replayer %s = exit %d, stdout %q, stderr %q; want exit 2 and %q", done, code, out.String(), errb.String(), want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "done", "done")); err == nil {
		t.Error("replayer created done/done/")
	}
}

// TestMigrateErrorPrefix: a failed migration reads "replayer: migrate:
// ...", the step named once.
func TestMigrateErrorPrefix(t *testing.T) {
	url := migratedDB(t)
	if _, err := openPool(t, url).Exec(t.Context(), `UPDATE schema_migrations SET checksum = 'edited'`); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "spool")
	writeSpool(t, dir, [][]byte{mustJSON(t, storedCall("call-1"))})
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-quiet", "-postgres-url", url, dir}, &out, &errb)
	if code != 1 || !strings.HasPrefix(errb.String(), "replayer: migrate: ") || strings.Contains(errb.String(), "migrate: migrate:") {
		t.Errorf("replayer over an edited migration = exit %d, stderr %q; want exit 1 and \"replayer: migrate: ...\"", code, errb.String())
	}
}
