package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/replay"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
	"github.com/harborai/ingest/pkg/spool"
)

// TestReplayQuarantinesRejectedCall: a call PostgreSQL refuses (a model
// name too long for its index) is quarantined and the replay carries on:
// the other calls of its batch and of the next segment are loaded, both
// segments are done, and a second run adds nothing. The first run exits
// with status 1: a call was not stored, and an operator must look.
func TestReplayQuarantinesRejectedCall(t *testing.T) {
	url := migratedDB(t)
	dir := filepath.Join(t.TempDir(), "spool")
	r := rand.New(rand.NewSource(1))
	long := make([]byte, 4000) // random, so TOAST cannot compress it under the index limit
	for i := range long {
		long[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[r.Intn(36)]
	}
	var first [][]byte
	for i := range 10 {
		c := storedCall(fmt.Sprintf("call-%02d", i))
		if i == 4 {
			c.Model = string(long)
		}
		first = append(first, mustJSON(t, c))
	}
	writeSpool(t, dir, first, [][]byte{mustJSON(t, storedCall("call-next-segment"))})

	sum := replayJSONExit(t, 1, "-postgres-url", url, "-quiet", dir)
	if sum.Segments != 2 || sum.Calls != 10 || sum.Quarantined != 1 || sum.Rejected != 1 {
		t.Fatalf("first replay summary = %+v, want 2 segments, 10 calls, 1 rejected call quarantined", sum)
	}
	pool := openPool(t, url)
	if got := storedIDs(t, pool); len(got) != 10 || got["call-04"] || !got["call-next-segment"] {
		t.Fatalf("stored calls = %v, want the 10 accepted ones", got)
	}
	if segs, _ := filepath.Glob(filepath.Join(dir, "seg-*")); len(segs) != 0 {
		t.Errorf("segments left in the spool: %v, want both moved to done/", segs)
	}
	lines := quarantined(t, filepath.Dir(dir))
	if len(lines) != 1 || lines[0].Reason != "poison_record" || lines[0].Data.CallID != "call-04" || lines[0].Data.Model != string(long) {
		t.Fatalf("quarantine = %+v, want call-04 with reason poison_record", lines)
	}

	if sum := replayJSON(t, "-postgres-url", url, "-quiet", dir); sum.Records != 0 || sum.Calls != 0 || sum.Quarantined != 0 {
		t.Fatalf("second replay summary = %+v, want nothing loaded", sum)
	}
	if got := storedIDs(t, pool); len(got) != 10 {
		t.Fatalf("after the second run %d calls stored, want 10", len(got))
	}
	if lines := quarantined(t, filepath.Dir(dir)); len(lines) != 1 {
		t.Fatalf("after the second run %d quarantined lines, want 1", len(lines))
	}
}

// TestReplayPricesWithDynamicPrices: raw events of a client's spool are
// priced as the ingestor prices them, with the dynamic prices stored in
// PostgreSQL (harborctl pricing set).
func TestReplayPricesWithDynamicPrices(t *testing.T) {
	url := migratedDB(t)
	pool := openPool(t, url)
	in, out := decimal.RequireFromString("1"), decimal.RequireFromString("2")
	if _, err := pg.InsertPrice(t.Context(), pool, pg.PriceRow{Provider: "openai", Model: "gpt-4o-mini", Currency: "USD", Unit: 1000,
		Input: &in, Output: &out, EffectiveFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "spool")
	var payloads [][]byte
	for _, ev := range testutil.CallEvents(1) { // call-000000: 100 prompt, 20 completion tokens
		b, err := event.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, b)
	}
	writeSpool(t, dir, payloads)

	if sum := replayJSON(t, "-postgres-url", url, "-quiet", dir); sum.Events != 2 || sum.Calls != 1 {
		t.Fatalf("replay summary = %+v, want 2 events, 1 call", sum)
	}
	var source, total string
	if err := pool.QueryRow(t.Context(), `SELECT pricing_source, total_cost::text FROM calls WHERE call_id = 'call-000000'`).Scan(&source, &total); err != nil {
		t.Fatal(err)
	}
	// 100 × 1/1000 + 20 × 2/1000
	if source != "dynamic" || !decimal.RequireFromString(total).Equal(decimal.RequireFromString("0.14")) {
		t.Fatalf("stored pricing_source, total_cost = %s, %s; want dynamic, 0.14", source, total)
	}
}

// TestReplayRetriesLockTimeout: a write that fails with a retryable error
// (the calls table locked past the session's lock timeout) is retried
// with backoff; once the lock is released the replay completes with every
// call stored once.
func TestReplayRetriesLockTimeout(t *testing.T) {
	url := migratedDB(t)
	const n = 50
	dir := filepath.Join(t.TempDir(), "spool")
	var payloads [][]byte
	for i := range n {
		payloads = append(payloads, mustJSON(t, storedCall(fmt.Sprintf("call-%03d", i))))
	}
	writeSpool(t, dir, payloads)

	pool := openPool(t, url)
	tx, err := pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(t.Context(), `LOCK TABLE calls IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	var errb testutil.SyncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(t.Context(), []string{"-json", "-quiet", "-migrate=false", "-postgres-url", withLockTimeout(url, 200*time.Millisecond), dir}, &out, &errb)
	}()
	testutil.WaitFor(t, 30*time.Second, "a failed attempt retried", func() (bool, string) {
		return strings.Contains(errb.String(), "retrying"), errb.String()
	})
	if err := tx.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if c := <-code; c != 0 {
		t.Fatalf("replayer = exit %d: %s", c, errb.String())
	}
	var sum struct{ Calls int }
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil || sum.Calls != n {
		t.Fatalf("summary %q (%v), want %d calls", out.String(), err, n)
	}
	var rows, distinct int
	if err := pool.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT call_id) FROM calls`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != n || distinct != n {
		t.Fatalf("%d rows, %d distinct calls stored, want %d of each", rows, distinct, n)
	}
}

// TestReplayAlongsideLiveWriter: the replayer loads fragments of calls
// that a live writer (an ingestor: sorted batches) is storing at the same
// time; neither deadlocks the other for good, and every call is stored
// once with the replayed fragment.
func TestReplayAlongsideLiveWriter(t *testing.T) {
	url := migratedDB(t)
	const n = 3000
	r := rand.New(rand.NewSource(2))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("call-%05d", i)
	}
	var payloads [][]byte
	for _, i := range r.Perm(n) { // spool order is arrival order, not id order
		c := storedCall(ids[i])
		c.RequestEventID, c.ResponseEventID, c.Status = "", "resp-"+ids[i], "success"
		payloads = append(payloads, mustJSON(t, c))
	}
	dir := filepath.Join(t.TempDir(), "spool")
	writeSpool(t, dir, payloads)

	live, err := pg.NewWriter(t.Context(), pg.Config{URL: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		lr := rand.New(rand.NewSource(3))
		for round := 0; ; round++ {
			select {
			case <-stop:
				return
			default:
			}
			batch := make([]record.Call, 0, 200)
			for _, i := range lr.Perm(n)[:200] {
				c := storedCall(ids[i])
				c.RequestEventID = fmt.Sprintf("req-%d-%d", round, i)
				batch = append(batch, c)
			}
			slices.SortFunc(batch, func(a, b record.Call) int { return strings.Compare(a.CallID, b.CallID) })
			_ = live.Write(context.Background(), batch)
		}
	})
	var out, errb bytes.Buffer
	c := run(t.Context(), []string{"-json", "-quiet", "-batch-size", "200", "-postgres-url", url, dir}, &out, &errb)
	close(stop)
	wg.Wait()
	if c != 0 {
		t.Fatalf("replayer = exit %d: %s", c, errb.String())
	}
	pool := openPool(t, url)
	var rows, responses int
	if err := pool.QueryRow(t.Context(), `SELECT count(*), count(response_event_id) FROM calls`).Scan(&rows, &responses); err != nil {
		t.Fatal(err)
	}
	if rows != n || responses != n {
		t.Fatalf("%d calls stored, %d with the replayed response; want %d of each", rows, responses, n)
	}
}

// TestReplayCountsCallOnceAcrossDirs: a call whose request is in one spool
// directory and its response in another counts once, as a call not stored
// before the run.
func TestReplayCountsCallOnceAcrossDirs(t *testing.T) {
	url := migratedDB(t)
	a, b := filepath.Join(t.TempDir(), "spool"), filepath.Join(t.TempDir(), "spool")
	req, resp := storedCall("call-split"), storedCall("call-split")
	resp.RequestEventID, resp.ResponseEventID, resp.Status = "", "resp-split", "success"
	writeSpool(t, a, [][]byte{mustJSON(t, req), mustJSON(t, storedCall("call-a"))})
	writeSpool(t, b, [][]byte{mustJSON(t, resp), mustJSON(t, storedCall("call-b"))})

	sum := replayJSON(t, "-postgres-url", url, "-quiet", a, b)
	if sum.Calls != 3 || sum.AlreadyPresent != 0 {
		t.Fatalf("replay summary = %+v, want 3 calls, none already present", sum)
	}
	var events string
	if err := openPool(t, url).QueryRow(t.Context(), `SELECT request_event_id || ',' || response_event_id FROM calls WHERE call_id = 'call-split'`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != "ev-call-split,resp-split" {
		t.Fatalf("call-split events = %s, want both fragments merged", events)
	}
}

// TestReplayCallIDWithNUL: a stored-call record whose call id holds a NUL
// (stored with U+FFFD, as pkg/pg cleans text) loads, and a second replay
// of the same segment finds it already present.
func TestReplayCallIDWithNUL(t *testing.T) {
	url := migratedDB(t)
	dir := filepath.Join(t.TempDir(), "spool")
	writeSpool(t, dir, [][]byte{mustJSON(t, storedCall("call\x00nul")), mustJSON(t, storedCall("call-plain"))})

	if sum := replayJSON(t, "-postgres-url", url, "-quiet", dir); sum.Calls != 2 || sum.AlreadyPresent != 0 {
		t.Fatalf("first replay summary = %+v, want 2 calls, none present", sum)
	}
	if got := storedIDs(t, openPool(t, url)); len(got) != 2 || !got["call\ufffdnul"] {
		t.Fatalf("stored calls = %v, want call\ufffdnul and call-plain", got)
	}
	copyDone(t, dir)
	if sum := replayJSON(t, "-postgres-url", url, "-quiet", dir); sum.Calls != 2 || sum.AlreadyPresent != 2 {
		t.Fatalf("replay of the loaded segment = %+v, want 2 calls, both already present", sum)
	}
}

// storedCall is a request fragment as the ingestor's spool sink stores it.
func storedCall(id string) record.Call {
	return record.Call{CallID: id, Provider: "openai", Model: "gpt-4o", StartedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		RequestEventID: "ev-" + id}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeSpool writes one sealed segment per element of segments in dir.
func writeSpool(t *testing.T, dir string, segments ...[][]byte) {
	t.Helper()
	sw, err := spool.Open(spool.Options{Dir: dir, Sync: spool.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	for i, payloads := range segments {
		if i > 0 {
			if err := sw.Rotate(); err != nil {
				t.Fatal(err)
			}
		}
		if err := sw.Append(context.Background(), payloads); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
}

// migratedDB returns the URL of a new database with the schema applied.
func migratedDB(t *testing.T) string {
	t.Helper()
	url := pgtest.Start(t).NewDB(t)
	if _, err := pg.Migrate(t.Context(), openPool(t, url)); err != nil {
		t.Fatal(err)
	}
	return url
}

func openPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pg.NewPool(t.Context(), pg.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// withLockTimeout returns url with the session's lock_timeout set.
func withLockTimeout(url string, d time.Duration) string {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return fmt.Sprintf("%s%slock_timeout=%d", url, sep, d.Milliseconds())
}

func storedIDs(t *testing.T, pool *pgxpool.Pool) map[string]bool {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT call_id FROM calls`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	ids := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

type quarantineLine struct {
	Reason string      `json:"reason"`
	Data   record.Call `json:"data"`
}

// quarantined reads the quarantine files under dir.
func quarantined(t *testing.T, dir string) []quarantineLine {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "quarantine", "*.jsonl"))
	var out []quarantineLine
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var l quarantineLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("quarantine line %q: %v", sc.Text(), err)
			}
			out = append(out, l)
		}
	}
	return out
}

// TestReplayHonoursKeepBodies: with HARBORAI_KEEP_BODIES=false, as the
// ingestor would, the replayer stores no body, from raw events (a client's
// spool) or from calls an ingestor spooled with their bodies, and still
// stores the calls with their usage; a value that is not a boolean is a
// usage error.
func TestReplayHonoursKeepBodies(t *testing.T) {
	url := migratedDB(t)
	stored := ingestedSpool(t, 3) // calls call-000000..2, bodies kept
	events := filepath.Join(t.TempDir(), "spool")
	var payloads [][]byte
	for _, ev := range testutil.CallEvents(6)[6:] { // the request and response events of call-000003..5
		b, err := event.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, b)
	}
	writeSpool(t, events, payloads)

	t.Setenv("HARBORAI_KEEP_BODIES", "maybe")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-postgres-url", url, "-quiet", stored}, &out, &errb); code != 2 ||
		!strings.Contains(errb.String(), "HARBORAI_KEEP_BODIES") {
		t.Fatalf("replayer with HARBORAI_KEEP_BODIES=maybe = exit %d (%s), want 2 naming the variable", code, errb.String())
	}

	t.Setenv("HARBORAI_KEEP_BODIES", "false")
	if sum := replayJSON(t, "-postgres-url", url, "-quiet", stored, events); sum.Calls != 6 {
		t.Fatalf("replay summary = %+v, want 6 calls", sum)
	}
	var calls, withBody, withUsage int
	if err := openPool(t, url).QueryRow(t.Context(), `SELECT count(*),
		count(*) FILTER (WHERE request_body IS NOT NULL OR response_body IS NOT NULL),
		count(*) FILTER (WHERE prompt_tokens > 0) FROM calls`).Scan(&calls, &withBody, &withUsage); err != nil {
		t.Fatal(err)
	}
	if calls != 6 || withBody != 0 || withUsage != 6 {
		t.Fatalf("stored %d calls, %d with a body, %d with usage; want 6, 0, 6", calls, withBody, withUsage)
	}
}

// TestReplayKeepsSegmentsWithCorruptLines: a segment with a damaged line
// loads its good lines, and a whole copy of it is kept beside the
// quarantine, which retention does not touch: the quarantine keeps only the
// head of each bad line, and the loaded segment itself goes with retention.
func TestReplayKeepsSegmentsWithCorruptLines(t *testing.T) {
	url := migratedDB(t)
	dir := filepath.Join(t.TempDir(), "spool")
	writeSpool(t, dir, [][]byte{mustJSON(t, storedCall("call-1")), mustJSON(t, storedCall("call-2")), mustJSON(t, storedCall("call-3"))})
	segs, _ := filepath.Glob(filepath.Join(dir, "seg-*.jsonl.gz"))
	if len(segs) != 1 {
		t.Fatalf("segments %v, want one sealed", segs)
	}
	damage(t, segs[0], "call-2", "call-X") // its checksum no longer matches

	if sum := replayJSON(t, "-postgres-url", url, "-quiet", dir); sum.Calls != 2 || sum.Corrupt != 1 {
		t.Fatalf("replay summary = %+v, want 2 calls and 1 corrupt line", sum)
	}
	name := filepath.Base(segs[0])
	done, err := os.ReadFile(filepath.Join(dir, "done", name))
	if err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(filepath.Dir(dir), "quarantine", "segments", name)
	if b, err := os.ReadFile(kept); err != nil || !bytes.Equal(b, done) {
		t.Fatalf("kept copy %s: %v (equal to the loaded segment: %v)", kept, err, bytes.Equal(b, done))
	}
	if n, err := replay.PruneLoaded(dir, pg.Retention{Bodies: time.Hour}, time.Now().Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("PruneLoaded() = %d, %v; want the loaded segment removed", n, err)
	}
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("the kept copy went with retention: %v", err)
	}
}

// damage rewrites the first occurrence of old in the gzip-compressed
// segment at path with repl (same length), leaving its checksums as they
// were.
func damage(t *testing.T, path, old, repl string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	_ = f.Close()
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte(old))
	if i < 0 || len(old) != len(repl) {
		t.Fatalf("%q not in the segment", old)
	}
	copy(data[i:], repl)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestReplayCopiedSpoolWithProgress: a spool copied from another host
// with the progress of an interrupted load into that host's database is
// loaded whole into this one: the calls before the progress are missing
// here, so they are written, and the summary says so.
func TestReplayCopiedSpoolWithProgress(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	var payloads [][]byte
	for i := range 75 {
		payloads = append(payloads, mustJSON(t, storedCall(fmt.Sprintf("copied-%02d", i))))
	}
	writeSpool(t, dir, payloads)
	savedProgress(t, dir, 60) // what a load into the other host's database left when it was stopped
	url := migratedDB(t)
	if sum := replayJSON(t, "-postgres-url", url, "-quiet", "-dry-run", dir); sum.Records != 15 || sum.Calls != 75 || sum.Missing != 60 {
		t.Errorf("dry run = %+v, want 15 records after the progress, 75 calls, 60 missing before it", sum)
	}
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"-postgres-url", url, "-quiet", dir}, &out, &errb); code != 0 {
		t.Fatalf("replayer = exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "60 of the calls were before a segment's saved progress but not in PostgreSQL") {
		t.Errorf("summary %q does not say 60 calls were missing before the saved progress", out.String())
	}
	if got := storedIDs(t, openPool(t, url)); len(got) != 75 {
		t.Errorf("%d calls stored, want the 75 of the spool", len(got))
	}
}

// responseOf is the response side of storedCall(id), alone, as a line of
// its own.
func responseOf(id string) record.Call {
	at, status := time.Date(2025, 1, 1, 0, 0, 1, 0, time.UTC), 200
	return record.Call{CallID: id, Provider: "openai", Model: "gpt-4o", StartedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		ResponseEventID: "ev-resp-" + id, Status: "success", HTTPStatus: &status, FinishedAt: &at}
}

// savedProgress leaves on dir's only segment the progress a load stopped
// at line left.
func savedProgress(t *testing.T, dir string, line int) {
	t.Helper()
	segs, err := spool.Segments(dir)
	if err != nil || len(segs) != 1 {
		t.Fatalf("Segments() = %v, %v; want one segment", segs, err)
	}
	release, err := spool.Claim(segs[0], "replayer:elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	if err := spool.SaveProgress(segs[0], line); err != nil {
		t.Fatal(err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
}

// TestReplayProgressWithCallsInParts: a call's request and response on
// lines of their own, in different batches, before the saved progress of
// a load elsewhere (a copied spool), or a database restored with only the
// request stored: every call ends whole.
func TestReplayProgressWithCallsInParts(t *testing.T) {
	t.Run("copied spool", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "spool")
		var payloads [][]byte
		const n = 30
		for i := range n { // request i, then response i-1: each call across two lines
			payloads = append(payloads, mustJSON(t, storedCall(fmt.Sprintf("part-%02d", i))))
			if i > 0 {
				payloads = append(payloads, mustJSON(t, responseOf(fmt.Sprintf("part-%02d", i-1))))
			}
		}
		payloads = append(payloads, mustJSON(t, responseOf(fmt.Sprintf("part-%02d", n-1))))
		writeSpool(t, dir, payloads)
		savedProgress(t, dir, len(payloads))
		url := migratedDB(t)
		sum := replayJSON(t, "-postgres-url", url, "-quiet", "-batch-size", "7", dir)
		if sum.Calls != n || sum.Missing != n {
			t.Errorf("summary %+v, want %d calls, all missing before the progress", sum, n)
		}
		assertWhole(t, url, n)
	})
	t.Run("restored database", func(t *testing.T) {
		url := migratedDB(t)
		requests := filepath.Join(t.TempDir(), "requests")
		writeSpool(t, requests, [][]byte{mustJSON(t, storedCall("part-r"))})
		replayJSON(t, "-postgres-url", url, "-quiet", requests)
		dir := filepath.Join(t.TempDir(), "spool")
		writeSpool(t, dir, [][]byte{mustJSON(t, responseOf("part-r"))})
		savedProgress(t, dir, 1) // loaded once, into the database as it was before the restore
		if sum := replayJSON(t, "-postgres-url", url, "-quiet", dir); sum.Missing != 0 {
			t.Errorf("summary %+v, want none missing: the call is there, in part", sum)
		}
		assertWhole(t, url, 1)
	})
}

// assertWhole fails unless the database at url holds n calls, each with
// its request and its response.
func assertWhole(t *testing.T, url string, n int) {
	t.Helper()
	var total, partial int
	if err := openPool(t, url).QueryRow(t.Context(), `SELECT count(*),
		count(*) FILTER (WHERE request_event_id IS NULL OR response_event_id IS NULL) FROM calls`).Scan(&total, &partial); err != nil {
		t.Fatal(err)
	}
	if total != n || partial != 0 {
		t.Errorf("%d calls stored, %d of them without their request or response; want %d whole", total, partial, n)
	}
}

// TestReplayOperatorMistakes: what an operator gets wrong is said, not
// taken for success.
//   - SPOOL_DIR with a trailing slash, or ".": the quarantine is still
//     beside the spool directory, not inside it.
//   - A directory without segments (the data directory instead of its
//     spool/): a warning, with the spool it may have meant, and no lock
//     file left in it.
//   - An interruption while connecting: exit 130, as during the load.
//   - A URL that does not parse: exit 2, named as the URL's fault.
//   - stderr not a terminal (a CI log): no progress bar redrawn in it.
func TestReplayOperatorMistakes(t *testing.T) {
	url := migratedDB(t)
	root := t.TempDir()
	dir := filepath.Join(root, "spool")
	writeSpool(t, dir, [][]byte{mustJSON(t, storedCall("call-ok")), mustJSON(t, storedCall("call-bad"))})
	segs, _ := filepath.Glob(filepath.Join(dir, "seg-*.jsonl.gz"))
	if len(segs) != 1 {
		t.Fatalf("segments %v, want one sealed", segs)
	}
	damage(t, segs[0], "call-bad", "call-BAD") // its checksum no longer matches
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-postgres-url", url, dir + "/"}, &out, &errb); code != 0 {
		t.Fatalf("replayer %s/ = exit %d: %s", dir, code, errb.String())
	}
	if lines := quarantined(t, root); len(lines) != 1 {
		t.Errorf("quarantine beside the spool has %d lines, want the corrupt one", len(lines))
	}
	if _, err := os.Stat(filepath.Join(dir, "quarantine")); err == nil {
		t.Error("a quarantine was made inside the spool directory")
	}
	if strings.Contains(errb.String(), "\r") {
		t.Errorf("stderr, not a terminal, has a progress bar: %q", errb.String())
	}

	// Run again over the spool loaded: empty, and said nothing of.
	errb.Reset()
	if code := run(context.Background(), []string{"-quiet", "-postgres-url", url, dir}, &out, &errb); code != 0 || errb.Len() != 0 {
		t.Errorf("replayer over a spool loaded already = exit %d, stderr %q; want 0 and nothing on stderr", code, errb.String())
	}

	errb.Reset()
	if code := run(context.Background(), []string{"-quiet", "-postgres-url", url, root}, &out, &errb); code != 0 ||
		!strings.Contains(errb.String(), "no spool segments in "+root+" (did you mean "+dir+"?)") {
		t.Errorf("replayer of the data directory = exit %d, stderr %q; want a warning naming %s", code, errb.String(), dir)
	}
	if _, err := os.Stat(filepath.Join(root, ".lock")); err == nil {
		t.Error("the replayer left a spool's .lock in a directory that is not a spool")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errb.Reset()
	if code := run(ctx, []string{"-quiet", "-postgres-url", url, dir}, &out, &errb); code != 130 || !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("replayer interrupted at start = exit %d, stderr %q; want 130, interrupted", code, errb.String())
	}

	errb.Reset()
	if code := run(context.Background(), []string{"-quiet", "-postgres-url", "postgres://u@host:notaport/db", dir}, &out, &errb); code != 2 ||
		!strings.HasPrefix(errb.String(), "replayer: --postgres-url: ") {
		t.Errorf("replayer with a bad URL = exit %d, stderr %q; want 2, naming --postgres-url", code, errb.String())
	}
}

// TestReplayDryRunUnreachableFailsFast: a dry run against a server that
// never answers fails as a real run does, within the probe timeout, rather
// than retry its first lookup for minutes.
func TestReplayDryRunUnreachableFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() { // accept and say nothing
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	dir := filepath.Join(t.TempDir(), "spool")
	writeSpool(t, dir, [][]byte{mustJSON(t, storedCall("call-1"))})
	var out, errb bytes.Buffer
	start := time.Now()
	code := run(context.Background(), []string{"-quiet", "-dry-run", "-postgres-url", "postgres://u@" + ln.Addr().String() + "/db?connect_timeout=2", dir}, &out, &errb)
	if took := time.Since(start); code != 1 || took > 30*time.Second {
		t.Errorf("dry run against a silent server = exit %d after %v, stderr %q; want exit 1 within the probe timeout", code, took.Round(time.Millisecond), errb.String())
	}
}

// TestReplayLinkedSegments: a sealed segment linked into a spool directory
// (from another host's spool) is loaded, and its link, not the segment,
// moves to done/; a link to an unsealed segment is left alone, as only its
// writer may seal it.
func TestReplayLinkedSegments(t *testing.T) {
	url := migratedDB(t)
	elsewhere := filepath.Join(t.TempDir(), "spool")
	writeSpool(t, elsewhere, [][]byte{mustJSON(t, storedCall("call-linked"))})
	segs, err := spool.Segments(elsewhere)
	if err != nil || len(segs) != 1 || !segs[0].Sealed {
		t.Fatalf("Segments(%s) = %v, %v; want one sealed segment", elsewhere, segs, err)
	}
	target := segs[0].Path

	dir := filepath.Join(t.TempDir(), "spool")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, segs[0].Name)); err != nil {
		t.Fatal(err)
	}
	unsealed := filepath.Join(t.TempDir(), "seg-20261127T000000.000000000Z-000099.jsonl")
	if err := os.WriteFile(unsealed, []byte("not read\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(unsealed, filepath.Join(dir, filepath.Base(unsealed))); err != nil {
		t.Fatal(err)
	}

	listed, err := spool.Segments(dir)
	if err != nil || len(listed) != 1 || listed[0].Name != segs[0].Name || listed[0].Size != segs[0].Size {
		t.Fatalf("Segments(%s) = %+v, %v; want the sealed link alone, with its segment's size", dir, listed, err)
	}

	sum := replayJSON(t, "-postgres-url", url, "-quiet", dir)
	if sum.Calls != 1 || !storedIDs(t, openPool(t, url))["call-linked"] {
		t.Fatalf("replay of a linked segment: summary %+v; want call-linked stored", sum)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "done", segs[0].Name)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("done/%s: %v, %v; want the link moved there", segs[0].Name, fi, err)
	}
	if _, err := os.Stat(target); err != nil {
		t.Errorf("the linked segment itself: %v; want it where it was", err)
	}
	if b, err := os.ReadFile(unsealed); err != nil || string(b) != "not read\n" {
		t.Errorf("the unsealed segment linked in: %q, %v; want it untouched", b, err)
	}
}

// TestReplayKeepsLinkedCorruptSegment: a linked segment with damaged lines
// is kept whole in quarantine/segments/ as the segment itself, not as its
// link, which would break at once when relative, or when the other host
// removes its segment.
func TestReplayKeepsLinkedCorruptSegment(t *testing.T) {
	for _, relative := range []bool{false, true} {
		t.Run(map[bool]string{false: "absolute link", true: "relative link"}[relative], func(t *testing.T) {
			url := migratedDB(t)
			root := t.TempDir()
			elsewhere := filepath.Join(root, "other-host", "spool")
			writeSpool(t, elsewhere, [][]byte{mustJSON(t, storedCall("call-1")), mustJSON(t, storedCall("call-2")), mustJSON(t, storedCall("call-3"))})
			segs, err := spool.Segments(elsewhere)
			if err != nil || len(segs) != 1 {
				t.Fatalf("Segments(%s) = %v, %v", elsewhere, segs, err)
			}
			target := segs[0].Path
			damage(t, target, "call-2", "call-X")
			want, err := os.ReadFile(target)
			if err != nil {
				t.Fatal(err)
			}

			dir := filepath.Join(root, "here", "spool")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			link := target
			if relative {
				if link, err = filepath.Rel(dir, target); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink(link, filepath.Join(dir, segs[0].Name)); err != nil {
				t.Fatal(err)
			}
			sum := replayJSON(t, "-postgres-url", url, "-quiet", dir)
			if sum.Corrupt == 0 {
				t.Fatalf("replay summary %+v: want the damaged line counted", sum)
			}
			if err := os.Remove(target); err != nil { // the other host's retention
				t.Fatal(err)
			}
			kept := filepath.Join(root, "here", "quarantine", "segments", segs[0].Name)
			got, err := os.ReadFile(kept)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("the kept segment, after its original was removed: %d bytes, %v; want the %d bytes of the segment", len(got), err, len(want))
			}
		})
	}
}
