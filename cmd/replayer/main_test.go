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
	var out, errb bytes.Buffer
	if code := run(context.Background(), append([]string{"-json"}, args...), &out, &errb); code != 0 {
		t.Fatalf("replayer %q = exit %d: %s", args, code, errb.String())
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
