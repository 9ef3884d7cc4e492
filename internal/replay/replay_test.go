package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
	"github.com/harborai/ingest/pkg/spool"
)

// TestLoadSortsBatchesByCallID: every batch is written in call id order,
// whatever the spool's order.
func TestLoadSortsBatchesByCallID(t *testing.T) {
	dir := spoolOf(t, []string{"c-09", "c-03", "c-07", "c-01", "c-05", "c-08", "c-02", "c-06", "c-04"})
	st := newMemStore()
	sum, err := Run(t.Context(), dir, st, st, Options{BatchSize: 4})
	if err != nil || sum.Calls != 9 {
		t.Fatalf("Run() = %+v, %v; want 9 calls", sum, err)
	}
	if len(st.batches) != 3 {
		t.Fatalf("%d batches written, want 3", len(st.batches))
	}
	for _, b := range st.batches {
		if !slices.IsSorted(b) {
			t.Errorf("batch %v not sorted by call id", b)
		}
	}
}

// TestLoadRetriesRetryableErrors: a write failing with retryable errors is
// retried until it succeeds, and the load completes.
func TestLoadRetriesRetryableErrors(t *testing.T) {
	dir := spoolOf(t, []string{"c-1", "c-2", "c-3"})
	st := newMemStore()
	st.fail = []error{
		&pgconn.PgError{Code: "40P01", Message: "deadlock detected"},
		&pgconn.PgError{Code: "55P03", Message: "canceling statement due to lock timeout"},
	}
	sum, err := Run(t.Context(), dir, st, st, Options{})
	if err != nil || sum.Calls != 3 || sum.Segments != 1 {
		t.Fatalf("Run() = %+v, %v; want 3 calls, 1 segment", sum, err)
	}
	if st.attempts != 3 || len(st.calls) != 3 {
		t.Fatalf("%d attempts, %d calls stored; want 3 attempts, 3 calls", st.attempts, len(st.calls))
	}
	assertDone(t, dir, true)
}

// TestLoadGivesUpAfterRetryFor: a write that keeps failing with a
// retryable error fails the load after RetryFor, with the last error; the
// failed batch is not counted and the segment is left to load again.
func TestLoadGivesUpAfterRetryFor(t *testing.T) {
	dir := spoolOf(t, []string{"c-1", "c-2"})
	st := newMemStore()
	lockTimeout := &pgconn.PgError{Code: "55P03", Message: "canceling statement due to lock timeout"}
	st.always = lockTimeout
	start := time.Now()
	sum, err := Run(t.Context(), dir, st, st, Options{RetryFor: 300 * time.Millisecond})
	if !errors.Is(err, lockTimeout) || !strings.Contains(err.Error(), "still failing after retrying for 300ms") {
		t.Fatalf("Run() error = %v, want the lock timeout after retrying for 300ms", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("gave up after %v, want about 300ms", elapsed)
	}
	if st.attempts < 2 {
		t.Errorf("%d attempts, want retries", st.attempts)
	}
	if sum.Calls != 0 || sum.Segments != 0 {
		t.Errorf("Run() summary = %+v, want no call and no segment counted", sum)
	}
	assertDone(t, dir, false)
}

// TestLoadFailsAtOnceOnPermanentError: an error that is not retryable and
// not a PoisonError fails the load at once; nothing is counted.
func TestLoadFailsAtOnceOnPermanentError(t *testing.T) {
	dir := spoolOf(t, []string{"c-1", "c-2"})
	st := newMemStore()
	badText := &pgconn.PgError{Code: "22021", Message: "invalid byte sequence for encoding \"UTF8\": 0x00"}
	st.always = badText
	sum, err := Run(t.Context(), dir, st, st, Options{})
	if !errors.Is(err, badText) {
		t.Fatalf("Run() error = %v, want %v", err, badText)
	}
	if st.attempts != 1 || sum.Calls != 0 || sum.AlreadyPresent != 0 {
		t.Fatalf("%d attempts, summary %+v; want 1 attempt, nothing counted", st.attempts, sum)
	}
	assertDone(t, dir, false)
}

// TestLoadStopsRetryingWhenCancelled: cancelling the context ends the
// retries with context.Canceled.
func TestLoadStopsRetryingWhenCancelled(t *testing.T) {
	dir := spoolOf(t, []string{"c-1"})
	st := newMemStore()
	st.always = &pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"}
	ctx, cancel := context.WithCancel(t.Context())
	st.onAttempt = func(n int) {
		if n == 2 {
			cancel()
		}
	}
	if _, err := Run(ctx, dir, st, st, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run() error = %v, want context.Canceled", err)
	}
}

// TestLoadQuarantinesRejectedCalls: a call the writer rejects as data is
// quarantined with reason poison_record; the rest of its batch counts as
// written and the segment is done.
func TestLoadQuarantinesRejectedCalls(t *testing.T) {
	dir := spoolOf(t, []string{"c-1", "c-bad", "c-3"})
	st := newMemStore()
	st.reject = map[string]bool{"c-bad": true}
	var mu sync.Mutex
	var kept []string
	opts := Options{Quarantine: func(d, reason string, raw []byte) error {
		var c record.Call
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Errorf("quarantined %q: %v", raw, err)
		}
		mu.Lock()
		defer mu.Unlock()
		kept = append(kept, fmt.Sprintf("%s %s %s", filepath.Base(d), reason, c.CallID))
		return nil
	}}
	sum, err := Run(t.Context(), dir, st, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{Segments: 1, Records: 3, Calls: 2, Quarantined: 1, Rejected: 1}
	if sum != want {
		t.Errorf("Run() summary = %+v, want %+v", sum, want)
	}
	if !slices.Equal(kept, []string{"spool poison_record c-bad"}) {
		t.Errorf("quarantined %q, want c-bad as poison_record", kept)
	}
	assertDone(t, dir, true)
}

// TestLoadCountsRejectedCallOnce: a call rejected in two fragments (two
// batches) quarantines both, and counts as one rejected call.
func TestLoadCountsRejectedCallOnce(t *testing.T) {
	dir := spoolOf(t, []string{"c-bad", "c-1", "c-bad"})
	st := newMemStore()
	st.reject = map[string]bool{"c-bad": true}
	sum, err := Run(t.Context(), dir, st, st, Options{BatchSize: 1, Quarantine: func(string, string, []byte) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Quarantined != 2 || sum.Rejected != 1 {
		t.Errorf("Run() summary = %+v, want 2 fragments quarantined, 1 call rejected", sum)
	}
}

// TestLoadProgressWithinSegment: progress is reported as batches are read,
// not only at the end of a segment, which may hold an outage's every call.
func TestLoadProgressWithinSegment(t *testing.T) {
	dir := spoolOf(t, []string{"c-1", "c-2", "c-3", "c-4", "c-5"})
	st := newMemStore()
	var records []int
	_, err := Run(t.Context(), dir, st, st, Options{BatchSize: 2, Progress: func(_ string, s Summary, segments int) {
		if segments != 1 {
			t.Errorf("Progress() segments = %d, want 1", segments)
		}
		records = append(records, s.Records)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(records) < 3 || records[0] != 2 || records[len(records)-1] != 5 {
		t.Errorf("progress reported at %v records, want after each batch of 2 and at the end (5)", records)
	}
}

// TestDryRunSkipsEmptyUnsealedSegment: a dry run counts what a run would
// load; a run seals what a writer gone left, which removes an empty
// segment, so a dry run does not count it either.
func TestDryRunSkipsEmptyUnsealedSegment(t *testing.T) {
	dir := spoolOf(t, []string{"c-1"})
	if err := os.WriteFile(filepath.Join(dir, "seg-20991231T000000.000000000Z-000099.jsonl"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// The writer is gone: its lock names no process (this test's own pid
	// would read as a live writer).
	if err := os.WriteFile(filepath.Join(dir, ".lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	st := newMemStore()
	dry, err := Run(t.Context(), dir, st, st, Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	real, err := Run(t.Context(), dir, st, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Segments != real.Segments || dry.SegmentsSkipped != real.SegmentsSkipped || real.Segments != 1 {
		t.Errorf("dry run %d segments (%d skipped), run %d (%d skipped); want 1 and 1, none skipped",
			dry.Segments, dry.SegmentsSkipped, real.Segments, real.SegmentsSkipped)
	}
}

// TestLoadStopsWhenQuarantineFails: a rejected call that cannot be
// quarantined stops the load before the segment is marked loaded.
func TestLoadStopsWhenQuarantineFails(t *testing.T) {
	dir := spoolOf(t, []string{"c-1", "c-bad"})
	st := newMemStore()
	st.reject = map[string]bool{"c-bad": true}
	diskFull := errors.New("no space left on device")
	sum, err := Run(t.Context(), dir, st, st, Options{Quarantine: func(string, string, []byte) error { return diskFull }})
	if !errors.Is(err, diskFull) {
		t.Fatalf("Run() error = %v, want the quarantine's error", err)
	}
	if sum.Quarantined != 0 || sum.Rejected != 0 {
		t.Errorf("Run() summary = %+v, want nothing counted as quarantined: nothing was kept", sum)
	}
	assertDone(t, dir, false)
}

// TestLoaderCountsCallOnceAcrossDirs: a call whose fragments lie in two
// directories loaded by one Loader counts once, and not as already present.
func TestLoaderCountsCallOnceAcrossDirs(t *testing.T) {
	a := spoolOf(t, []string{"c-split", "c-a"})
	b := spoolOf(t, []string{"c-split", "c-b"})
	st := newMemStore()
	st.calls["c-old"] = true
	c := spoolOf(t, []string{"c-old"})
	l := NewLoader(st, st, Options{})
	var total Summary
	for _, dir := range []string{a, b, c} {
		s, err := l.Load(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		total = total.Add(s)
	}
	if total.Calls != 4 || total.AlreadyPresent != 1 {
		t.Fatalf("summary = %+v, want 4 calls, 1 (c-old) already present", total)
	}
}

// TestLoadCountsByStoredID: ids that the store keeps as one (a NUL and
// U+FFFD) are one call, looked up under the stored id.
func TestLoadCountsByStoredID(t *testing.T) {
	dir := spoolOf(t, []string{"c\x00x", "c\ufffdx", "c-new"})
	st := newMemStore()
	st.calls["c\ufffdx"] = true
	sum, err := Run(t.Context(), dir, st, st, Options{DryRun: true})
	if err != nil || sum.Calls != 2 || sum.AlreadyPresent != 1 {
		t.Fatalf("Run() = %+v, %v; want 2 calls, 1 already present", sum, err)
	}
}

// TestLoadResumesAfterSavedProgress: a load resumes after the last line
// its progress records: the lines up to it are written again (merges that
// change nothing for the calls the store has) but not counted; the calls
// the store lacks (the spool copied to another host, the progress left by
// a load into another database) are counted as missing, and written.
func TestLoadResumesAfterSavedProgress(t *testing.T) {
	for _, tc := range []struct {
		name    string
		has     []string // what the crashed load wrote into this store
		calls   int
		missing int
	}{
		{"same store", []string{"c-1", "c-2"}, 3, 0},
		{"another store", nil, 5, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := spoolOf(t, []string{"c-1", "c-2", "c-3", "c-4", "c-5"})
			segs, err := spool.Segments(dir)
			if err != nil || len(segs) != 1 {
				t.Fatalf("Segments() = %v, %v; want one segment", segs, err)
			}
			release, err := spool.Claim(segs[0], "crashed-loader")
			if err != nil {
				t.Fatal(err)
			}
			if err := spool.SaveProgress(segs[0], 2); err != nil {
				t.Fatal(err)
			}
			if err := release(); err != nil {
				t.Fatal(err)
			}
			st := newMemStore()
			for _, id := range tc.has {
				st.calls[id] = true
			}
			sum, err := Run(t.Context(), dir, st, st, Options{})
			if err != nil || sum.Records != 3 || sum.Calls != tc.calls || sum.Missing != tc.missing || sum.Segments != 1 {
				t.Fatalf("Run() after progress at line 2 of 5 = %+v, %v; want 3 records read after it, %d calls, %d missing, 1 segment",
					sum, err, tc.calls, tc.missing)
			}
			if got := slices.Sorted(maps.Keys(st.calls)); !slices.Equal(got, []string{"c-1", "c-2", "c-3", "c-4", "c-5"}) {
				t.Errorf("calls stored = %v, want c-1 to c-5", got)
			}
			assertDone(t, dir, true)
		})
	}
}

// TestLoadFailsMidSegmentThenResumes: batches are written while the next
// ones are read; when a write fails for good mid-segment, the load stops
// with that error, the progress covers the batches written and no more,
// the segment stays to load, and the next load writes the rest, each call
// once. A copy of the spool loaded into another store after the failure
// gives that store every call.
func TestLoadFailsMidSegmentThenResumes(t *testing.T) {
	var ids []string
	for i := range 10 {
		ids = append(ids, fmt.Sprintf("c-%02d", i))
	}
	dir := spoolOf(t, ids)
	st := newMemStore()
	badText := &pgconn.PgError{Code: "22021", Message: "invalid byte sequence"}
	st.onAttempt = func(n int) {
		if n == 3 {
			st.always = badText
		}
	}
	if _, err := Run(t.Context(), dir, st, st, Options{BatchSize: 2}); !errors.Is(err, badText) {
		t.Fatalf("Run() error = %v, want %v", err, badText)
	}
	if got := slices.Sorted(maps.Keys(st.calls)); !slices.Equal(got, ids[:4]) {
		t.Fatalf("calls written before the failure = %v, want %v", got, ids[:4])
	}
	segs, err := spool.Segments(dir)
	if err != nil || len(segs) != 1 {
		t.Fatalf("Segments() = %v, %v; want the segment still to load", segs, err)
	}
	if line, err := spool.LoadProgress(segs[0]); err != nil || line != 4 {
		t.Fatalf("LoadProgress() = %d, %v; want line 4, the last of the batches written", line, err)
	}
	assertDone(t, dir, false)

	copied := filepath.Join(t.TempDir(), "spool")
	if err := os.CopyFS(copied, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	other := newMemStore()
	sum, err := Run(t.Context(), copied, other, other, Options{BatchSize: 2})
	if err != nil || sum.Calls != 10 || sum.Missing != 4 {
		t.Fatalf("Run() of a copy into another store = %+v, %v; want the 10 calls, 4 of them missing before the progress", sum, err)
	}
	if got := slices.Sorted(maps.Keys(other.calls)); !slices.Equal(got, ids) {
		t.Errorf("calls in the other store = %v, want %v", got, ids)
	}

	st.always, st.onAttempt = nil, nil
	sum, err = Run(t.Context(), dir, st, st, Options{BatchSize: 2})
	if err != nil || sum.Records != 6 || sum.Calls != 6 || sum.Missing != 0 || sum.Segments != 1 {
		t.Fatalf("second Run() = %+v, %v; want the 6 calls left", sum, err)
	}
	assertDone(t, dir, true)
}

// TestLoadSkipsActiveSegment: the segment a live writer is appending to is
// skipped and nothing of it loaded; once the writer closes (sealing it),
// the next load loads each of its calls once.
func TestLoadSkipsActiveSegment(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	sw, err := spool.Open(spool.Options{Dir: dir, Sync: spool.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sw.Close() })
	var payloads [][]byte
	for _, id := range []string{"c-1", "c-2", "c-3"} {
		b, err := json.Marshal(record.Call{CallID: id, Provider: "openai", Model: "gpt-4o",
			StartedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), RequestEventID: "ev-" + id})
		if err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, b)
	}
	if err := sw.Append(t.Context(), payloads); err != nil {
		t.Fatal(err)
	}
	st := newMemStore()
	for _, dry := range []bool{true, false} {
		sum, err := Run(t.Context(), dir, st, st, Options{DryRun: dry})
		if err != nil || sum.SegmentsSkipped != 1 || sum.Segments != 0 || sum.Records != 0 || sum.Calls != 0 {
			t.Fatalf("Run(dry run %v) beside a live writer = %+v, %v; want its active segment skipped, nothing loaded", dry, sum, err)
		}
	}
	if len(st.calls) != 0 || st.attempts != 0 {
		t.Fatalf("%d writes, calls %v stored from the active segment; want none", st.attempts, st.calls)
	}
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	if sum, err := Run(t.Context(), dir, st, st, Options{DryRun: true}); err != nil || sum.Segments != 1 || sum.Calls != 3 {
		t.Fatalf("Run(dry run) after the writer closed = %+v, %v; want 1 segment, 3 calls", sum, err)
	}
	sum, err := Run(t.Context(), dir, st, st, Options{})
	if err != nil || sum.SegmentsSkipped != 0 || sum.Segments != 1 || sum.Records != 3 || sum.Calls != 3 || sum.AlreadyPresent != 0 {
		t.Fatalf("Run() after the writer closed = %+v, %v; want 1 segment, 3 records, 3 new calls", sum, err)
	}
	if got := slices.Concat(st.batches...); !slices.Equal(got, []string{"c-1", "c-2", "c-3"}) {
		t.Errorf("calls written = %v, want c-1 c-2 c-3 once", got)
	}
	assertDone(t, dir, true)
}

// memStore is an in-memory Writer and Presence. It fails the first writes
// with fail, every write with always, and rejects the calls in reject with
// a PoisonError (writing the others).
type memStore struct {
	mu        sync.Mutex
	calls     map[string]bool
	batches   [][]string
	attempts  int
	fail      []error
	always    error
	reject    map[string]bool
	onAttempt func(n int)
}

func newMemStore() *memStore { return &memStore{calls: map[string]bool{}} }

func (s *memStore) Write(_ context.Context, calls []record.Call) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	if s.onAttempt != nil {
		s.onAttempt(s.attempts)
	}
	if s.always != nil {
		return s.always
	}
	if len(s.fail) > 0 {
		err := s.fail[0]
		s.fail = s.fail[1:]
		return err
	}
	var ids []string
	var poison pg.PoisonError
	for _, c := range calls {
		ids = append(ids, c.CallID)
		if s.reject[c.CallID] {
			poison.Calls = append(poison.Calls, c)
			poison.Errs = append(poison.Errs, &pgconn.PgError{Code: "54000", Message: "index row size exceeds maximum"})
			continue
		}
		s.calls[pg.StoredText(c.CallID)] = true
	}
	s.batches = append(s.batches, ids)
	if len(poison.Calls) > 0 {
		return &poison
	}
	return nil
}

func (s *memStore) Existing(_ context.Context, ids []string) (map[string]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]bool{}
	for _, id := range ids {
		if s.calls[id] {
			out[id] = true
		}
	}
	return out, nil
}

// spoolOf writes a sealed segment of request fragments of ids, in that
// order, and returns its spool directory.
func spoolOf(t *testing.T, ids []string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "spool")
	sw, err := spool.Open(spool.Options{Dir: dir, Sync: spool.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	var payloads [][]byte
	for _, id := range ids {
		b, err := json.Marshal(record.Call{CallID: id, Provider: "openai", Model: "gpt-4o",
			StartedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), RequestEventID: "ev-" + id})
		if err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, b)
	}
	if err := sw.Append(context.Background(), payloads); err != nil {
		t.Fatal(err)
	}
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// assertDone checks whether dir's segments were all moved to done/.
func assertDone(t *testing.T, dir string, want bool) {
	t.Helper()
	left, _ := filepath.Glob(filepath.Join(dir, "seg-*"))
	if done := len(left) == 0; done != want {
		t.Errorf("segments left in %s: %v; want all loaded = %v", dir, left, want)
	}
}

// TestMayHaveSchemaVersion: the cheap check before the probe says no only
// when no key of the payload can be schema_version to encoding/json.
func TestMayHaveSchemaVersion(t *testing.T) {
	for _, tc := range []struct {
		data string
		want bool
	}{
		{`{"call_id":"c-1","provider":"openai","request_body":"{\"a\":\"\u003cb\u003e 你好\"}"}`, false},
		{`{"schema_version":1,"kind":"call"}`, true},
		{`{"SCHEMA_VERSION":1,"kind":"call"}`, true},
		{`{"Schema_Version":1,"kind":"call"}`, true},
		{`{"sch\u0065ma_version":1,"kind":"call"}`, true},
		{`{"schema\u005fversion":1,"kind":"call"}`, true},
		{`{"schema\u005Fversion":1,"kind":"call"}`, true},
		{`{"call_id":"c-1","response_body":"mentions schema_version"}`, true}, // the slow way, still right
		{`{"call_id":"c-1","response_body":"ends in \u00`, false},
	} {
		if got := mayHaveSchemaVersion([]byte(tc.data)); got != tc.want {
			t.Errorf("mayHaveSchemaVersion(%s) = %v, want %v", tc.data, got, tc.want)
		}
	}
}

// TestDecodeEventWithEscapedKey: an event whose schema_version key is
// written with an escape is still read as an event, not as a call.
func TestDecodeEventWithEscapedKey(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	ev := &event.Event{SchemaVersion: 1, Kind: event.KindResponse, EventID: "resp-1", CallID: "call-1",
		HBTraceID: "hb_1795683600000_00000001", TraceID: fmt.Sprintf("%032x", 1), SpanID: fmt.Sprintf("%016x", 1),
		Provider: "openai", Model: "gpt-4o-mini", StartedAt: at,
		Response: &event.Response{Status: event.StatusSuccess, HTTPStatus: 200, FinishedAt: at.Add(time.Second),
			Body: `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}`}}
	raw, err := event.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	escaped := bytes.Replace(raw, []byte(`"schema_version"`), []byte(`"sch\u0065ma_version"`), 1)
	if bytes.Equal(escaped, raw) {
		t.Fatalf("no schema_version key in %s", raw)
	}
	pricer, err := cost.NewPricer(cost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := &dirLoad{Loader: NewLoader(nil, nil, Options{Pricer: pricer})}
	for _, data := range [][]byte{raw, escaped} {
		c, ok, err := l.decode(data, false)
		if err != nil || !ok || l.sum.Events == 0 || c.CallID != ev.CallID || !c.HasResponse() {
			t.Fatalf("decode(%.60s...) = %+v, %v, %v (events %d); want the event's call, built", data, c.CallID, ok, err, l.sum.Events)
		}
		l.sum.Events = 0
	}
}
