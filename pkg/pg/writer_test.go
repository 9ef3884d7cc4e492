package pg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/parse"
	"github.com/harborai/ingest/pkg/record"
)

func TestWriteRoundTrip(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{})
	minimal := record.Call{CallID: "minimal", Provider: "openai", StartedAt: at("2025-01-01T00:00:00Z")}
	noPrice := fullCall("no-price")
	noPrice.Cost = &cost.Info{PricingSource: cost.SourceNotFound, PricingTimestamp: at("2025-01-15T08:00:02Z")}
	noUsage := fullCall("usage-missing")
	noUsage.Usage = &parse.Usage{UsageMissing: true, Consistency: parse.Unchecked}
	emptyBodies := fullCall("empty-bodies")
	emptyBodies.RequestBody, emptyBodies.ResponseBody = new(string), new(string)
	tests := []struct {
		name string
		call record.Call
	}{
		{name: "every field", call: fullCall("full")},
		{name: "minimal", call: minimal},
		{name: "not priced", call: noPrice},
		{name: "usage missing", call: noUsage},
		{name: "empty bodies", call: emptyBodies},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write(t, w, tt.call)
			sameCall(t, get(t, s, tt.call.CallID), tt.call)
		})
	}
}

func TestWriteConvertsWhatPostgresCannotHold(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{})
	c := fullCall("nul")
	req, resp := "a\x00b", "bad \xff utf-8 and \x00"
	c.RequestBody, c.ResponseBody = &req, &resp
	c.ErrorMessage = "vendor said \x00"
	c.Usage.Raw = []byte(`{"note":"\u0000 and \ud800 and \\u0000 and \ud83d\ude00"}`)
	c.Cost.Currency = " usd"
	c.Tags.Metadata = map[string]string{"k": "v\x00"}
	write(t, w, c)

	want := c
	wreq, wresp := "a\uFFFDb", "bad \uFFFD utf-8 and \uFFFD"
	want.RequestBody, want.ResponseBody = &wreq, &wresp
	want.ErrorMessage = "vendor said \uFFFD"
	u := *c.Usage
	u.Raw = []byte(`{"note":"\ufffd and \ufffd and \\u0000 and \ud83d\ude00"}`)
	want.Usage = &u
	k := *c.Cost
	k.Currency = "USD"
	want.Cost = &k
	want.Tags.Metadata = map[string]string{"k": "v\uFFFD"}
	sameCall(t, get(t, s, "nul"), want)
}

// A vendor's raw usage with a number jsonb cannot hold (numeric's limits)
// is kept as a JSON string of its text: the call, its tokens and its cost
// are stored, not rejected for a field nothing reads.
func TestWriteKeepsRawUsageWithNumbersNumericCannotHold(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{})
	raws := map[string]string{
		"huge-exponent": `{"prompt_tokens": 10, "x": 1e200000}`,
		"long-fraction": `{"prompt_tokens": 10, "x": 0.` + strings.Repeat("1", 17000) + `}`,
		"fits":          `{"prompt_tokens": 10, "x": 1.5e300}`,
	}
	var calls []record.Call
	for id, raw := range raws {
		c := fullCall(id)
		c.Usage.Raw = []byte(raw)
		calls = append(calls, c)
	}
	write(t, w, calls...)
	for id, raw := range raws {
		got := get(t, s, id)
		if got.Usage == nil || got.Usage.PromptTokens == nil || *got.Usage.PromptTokens != *calls[0].Usage.PromptTokens {
			t.Fatalf("%s: usage %+v, want the call's tokens stored", id, got.Usage)
		}
		var kept any
		if err := json.Unmarshal(got.Usage.Raw, &kept); err != nil {
			t.Fatalf("%s: raw usage %.80q is not JSON: %v", id, got.Usage.Raw, err)
		}
		switch v := kept.(type) {
		case string:
			if id == "fits" || v != raw {
				t.Fatalf("%s: raw usage kept as the string %.80q, want %s", id, v, map[bool]string{true: "the object", false: "the text " + raw[:40]}[id == "fits"])
			}
		case map[string]any:
			if id != "fits" {
				t.Fatalf("%s: raw usage stored as an object %.80v", id, v)
			}
		default:
			t.Fatalf("%s: raw usage %T", id, kept)
		}
	}
}

// A call with a price but no cost keeps the reason (pricing_error), read
// back with the call and shown by cost_info, through both write paths.
func TestWriteKeepsThePricingError(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{})
	const reason = `invalid price: custom_pricing.currency: unknown currency "AUD"`
	unpriced := func(id string) record.Call {
		c := fullCall(id)
		c.Cost = &cost.Info{PricingSource: cost.SourceAPIParameter, PricingTimestamp: c.StartedAt, PricingError: reason}
		return c
	}
	direct := unpriced("direct")
	write(t, w, direct)
	merged := unpriced("merged")
	req, resp := merged, merged
	resp.RequestEventID, resp.RequestBody = "", nil
	write(t, w, resp) // the response first: the request then merges into it
	write(t, w, req)
	for _, id := range []string{"direct", "merged"} {
		if got := get(t, s, id); got.Cost == nil || got.Cost.PricingError != reason {
			t.Fatalf("%s: cost %+v, want pricing_error %q", id, got.Cost, reason)
		}
		var shown *string
		if err := w.Pool().QueryRow(t.Context(), "SELECT pricing_error FROM cost_info WHERE log_id = $1", id).Scan(&shown); err != nil || shown == nil || *shown != reason {
			t.Fatalf("%s: cost_info.pricing_error = %v, %v, want %q", id, shown, err, reason)
		}
	}
}

func TestWriteSameBatchTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	w, _ := setup(t, Config{})
	batch := []record.Call{fullCall("a"), fullCall("b")}
	pending := fullCall("c")
	pending.ResponseEventID, pending.Usage, pending.Cost, pending.Status = "", nil, nil, ""
	batch = append(batch, pending)
	write(t, w, batch...)
	before := map[string]string{}
	for _, c := range batch {
		before[c.CallID] = rowJSON(t, w.Pool(), c.CallID) + xmin(t, w, c.CallID)
	}
	write(t, w, batch...)
	write(t, w, append(batch, batch...)...) // duplicates inside one batch too
	for _, c := range batch {
		if got := rowJSON(t, w.Pool(), c.CallID) + xmin(t, w, c.CallID); got != before[c.CallID] {
			t.Errorf("row %s after writing its batch again:\n got %s\nwant %s", c.CallID, got, before[c.CallID])
		}
	}
	var n int
	if err := w.Pool().QueryRow(t.Context(), "SELECT count(*) FROM calls").Scan(&n); err != nil || n != len(batch) {
		t.Fatalf("rows = %d, %v, want %d", n, err, len(batch))
	}
}

// xmin is the row version: unchanged when no UPDATE touched the row.
func xmin(t *testing.T, w *Writer, id string) string {
	t.Helper()
	var s string
	if err := w.Pool().QueryRow(t.Context(), "SELECT xmin::text FROM calls WHERE call_id = $1", id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return " xmin=" + s
}

// fragments returns the pieces of one call as the ingestor may see them:
// its request, its response, a late call event repeating both sides with a
// larger event id and other content, and a second response with a smaller
// event id than the first (it wins the response side). The header differs
// per fragment so that the header rule shows.
func fragments(id string) []record.Call {
	full := fullCall(id)
	header := func(model string) record.Call {
		return record.Call{
			CallID: id, HBTraceID: full.HBTraceID, TraceID: full.TraceID, SpanID: full.SpanID,
			Provider: full.Provider, Model: model, Endpoint: full.Endpoint, Stream: true,
			StartedAt: full.StartedAt, Tags: full.Tags,
		}
	}
	response := func(c record.Call, eventID, status string, tokens int64) record.Call {
		c.ResponseEventID, c.Status, c.HTTPStatus, c.FinishedAt = eventID, status, full.HTTPStatus, full.FinishedAt
		c.LatencyMS, c.ResponseBody = ptr(float64(tokens)), ptr("body of "+eventID)
		c.Usage = &parse.Usage{PromptTokens: ptr(tokens), Method: "openai.chat", Confidence: 1, Raw: []byte(fmt.Sprintf(`{"prompt_tokens": %d}`, tokens))}
		c.Cost = full.Cost
		return c
	}
	req := header("from-request")
	req.RequestEventID, req.RequestBody = "0002-req", ptr("request body")

	resp := response(header("from-response"), "0003-resp", "success", 10)

	late := response(header("from-late-call-event"), "0009-call", "error", 99)
	late.RequestEventID, late.RequestBody = "0009-call", ptr("late request body")
	late.SpoolReason = "z-reason"

	early := response(header("from-early-response"), "0001-resp", "success", 11)
	early.SpoolReason = "a-reason"
	return []record.Call{req, resp, late, early}
}

func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

func TestWriteFragmentsConvergeInAnyOrder(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{})
	// The expected row: record.Merge folded in the original order.
	frags := fragments("x")
	want := frags[0]
	for _, f := range frags[1:] {
		want = record.Merge(want, f)
	}
	if want.Model != "from-early-response" || want.RequestEventID != "0002-req" || want.ResponseEventID != "0001-resp" || want.SpoolReason != "a-reason" {
		t.Fatalf("record.Merge of the fragments = %+v, want early header and response, first request", want)
	}
	type mode struct {
		name  string
		write func(t *testing.T, frags []record.Call)
	}
	modes := []mode{
		{"one batch per fragment", func(t *testing.T, frags []record.Call) {
			for _, f := range frags {
				write(t, w, f)
			}
		}},
		{"all in one batch", func(t *testing.T, frags []record.Call) { write(t, w, frags...) }},
		{"each fragment twice", func(t *testing.T, frags []record.Call) {
			for _, f := range frags {
				write(t, w, f, f)
				write(t, w, f)
			}
		}},
		{"pairs", func(t *testing.T, frags []record.Call) {
			write(t, w, frags[0], frags[1])
			write(t, w, frags[2], frags[3], frags[0])
		}},
	}
	var ref string
	for _, m := range modes {
		for _, perm := range permutations(len(frags)) {
			id := fmt.Sprintf("%s-%v", strings.ReplaceAll(m.name, " ", "-"), perm)
			ordered := make([]record.Call, len(perm))
			for i, p := range perm {
				ordered[i] = fragments(id)[p]
			}
			m.write(t, ordered)
			want.CallID = id
			got := get(t, s, id)
			sameCall(t, got, want)
			row := rowJSON(t, w.Pool(), id, "call_id", "ingested_at", "updated_at")
			if ref == "" {
				ref = row
			} else if row != ref {
				t.Fatalf("%s %v: row differs from the first order's:\n got %s\nwant %s", m.name, perm, row, ref)
			}
		}
	}
}

// TestWriteDirectAndMergedPathsStoreTheSameRows writes the same calls by
// the direct insert (new calls with their request) and by the merge (the
// batch that holds a known call falls back), and compares the rows.
func TestWriteDirectAndMergedPathsStoreTheSameRows(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{})
	batch := func(prefix string) []record.Call {
		var calls []record.Call
		for i := range 5 {
			c := fullCall(fmt.Sprintf("%s-%d", prefix, i))
			if i == 4 {
				c.ResponseEventID, c.Status, c.Usage, c.Cost, c.ResponseBody = "", "", nil, nil, nil // pending
			}
			calls = append(calls, c)
		}
		return calls
	}
	direct := batch("direct")
	write(t, w, direct...)
	if got := w.Counts(); got != (WriteCounts{Inserted: 5}) {
		t.Fatalf("new calls: counts %+v, want 5 inserted directly", got)
	}

	// The response of merged-2 came first: the direct copy of the batch
	// that has its request meets the row and the batch is merged instead.
	merged := batch("merged")
	early := merged[2]
	early.RequestEventID, early.RequestBody = "", nil
	write(t, w, early)
	write(t, w, merged...)
	if got := w.Counts(); got != (WriteCounts{Inserted: 5, Merged: 6, Refused: 5}) {
		t.Fatalf("after a batch with a known call: counts %+v, want 5 inserted, 6 merged (1 alone + 5), 5 refused", got)
	}
	for i := range direct {
		sameCall(t, get(t, s, direct[i].CallID), direct[i])
		sameCall(t, get(t, s, merged[i].CallID), merged[i])
		d := rowJSON(t, w.Pool(), direct[i].CallID, "call_id", "ingested_at", "updated_at")
		m := rowJSON(t, w.Pool(), merged[i].CallID, "call_id", "ingested_at", "updated_at")
		if d != m {
			t.Errorf("call %d: the direct row and the merged row differ:\n direct %s\n merged %s", i, d, m)
		}
	}
}

func TestWritePendingThenResponse(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{})
	frags := fragments("p")
	write(t, w, frags[0])
	got := get(t, s, "p")
	if got.Status != "" || got.DisplayStatus() != record.StatusPending || got.HasResponse() || got.Usage != nil || got.Cost != nil {
		t.Fatalf("request only: Get = status %q usage %v cost %v, want pending without response", got.Status, got.Usage, got.Cost)
	}
	var viewStatus string
	if err := w.Pool().QueryRow(t.Context(), "SELECT status FROM api_logs WHERE log_id = 'p'").Scan(&viewStatus); err != nil || viewStatus != "pending" {
		t.Fatalf("api_logs.status = %q, %v, want pending", viewStatus, err)
	}
	write(t, w, frags[1])
	got = get(t, s, "p")
	sameCall(t, got, record.Merge(frags[0], frags[1]))
	if got.Status != "success" || got.RequestBody == nil || *got.RequestBody != "request body" {
		t.Fatalf("after the response: status %q request body %v, want success and the request kept", got.Status, got.RequestBody)
	}
}

func TestWriteIsolatesPoison(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{})
	var batch []record.Call
	for i := range 10 {
		batch = append(batch, fullCall(fmt.Sprintf("call-%02d", i)))
	}
	batch[3].Usage.PromptTokens = ptr(int64(-1)) // calls_tokens_non_negative
	batch[7].Cost.TotalCost = dec("5")           // calls_total_cost_is_sum
	batch[8].Cost.Currency = "dollars"           // calls_currency_iso
	batch[5].HTTPStatus = ptr(1 << 40)           // beyond the integer column
	batch = append(batch, batch[3])              // a duplicate of a poison call
	err := w.Write(t.Context(), batch)
	var perr *PoisonError
	if !errors.As(err, &perr) {
		t.Fatalf("Write() = %v, want a *PoisonError", err)
	}
	if IsRetryable(err) {
		t.Errorf("IsRetryable(%v) = true, want false", err)
	}
	var ids []string
	for i, c := range perr.Calls {
		ids = append(ids, c.CallID)
		var pgErr *pgconn.PgError
		switch {
		case c.CallID == "call-05":
			if !errors.Is(perr.Errs[i], ErrUnstorable) {
				t.Errorf("rejection of %s = %v, want ErrUnstorable", c.CallID, perr.Errs[i])
			}
		case !errors.As(perr.Errs[i], &pgErr) || pgErr.Code != "23514":
			t.Errorf("rejection of %s = %v, want a check violation (23514)", c.CallID, perr.Errs[i])
		}
	}
	slices.Sort(ids)
	if got, want := strings.Join(ids, ","), "call-03,call-05,call-07,call-08"; got != want {
		t.Fatalf("PoisonError.Calls = %s, want %s", got, want)
	}
	for i := range 10 {
		id := fmt.Sprintf("call-%02d", i)
		_, err := s.Get(t.Context(), id)
		if poison := i == 3 || i == 5 || i == 7 || i == 8; poison != errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%s) = %v, poison %v", id, err, poison)
		}
	}
}

// TestWriteMixedBatchWithPoisonInTheMerge: the new calls of a batch are
// copied (and committed) before the others are merged; when the merge
// meets a poison call, the split writes the new calls again (now merged:
// nothing changes) and the others, and only the poison call is left out.
func TestWriteMixedBatchWithPoisonInTheMerge(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{})
	ref, _ := setup(t, Config{})
	var batch []record.Call
	for i := range 6 {
		c := fullCall(fmt.Sprintf("mix-%d", i))
		if i%2 == 1 { // a response alone: merged
			c.RequestEventID, c.RequestBody = "", nil
		}
		batch = append(batch, c)
	}
	batch[3].Usage.PromptTokens = ptr(int64(-1)) // calls_tokens_non_negative
	err := w.Write(t.Context(), batch)
	var perr *PoisonError
	if !errors.As(err, &perr) || len(perr.Calls) != 1 || perr.Calls[0].CallID != "mix-3" {
		t.Fatalf("Write() = %v, want a *PoisonError for mix-3 alone", err)
	}
	if got := w.Counts(); got.Inserted != 3 {
		t.Errorf("counts %+v, want the 3 new calls inserted directly once", got)
	}
	good := slices.Delete(slices.Clone(batch), 3, 4)
	write(t, ref, good...)
	for _, c := range good {
		sameCall(t, get(t, s, c.CallID), c)
		if got, want := rowJSON(t, w.Pool(), c.CallID, "ingested_at", "updated_at"),
			rowJSON(t, ref.Pool(), c.CallID, "ingested_at", "updated_at"); got != want {
			t.Errorf("%s: stored after the split\n %s\nwritten alone\n %s", c.CallID, got, want)
		}
	}
	if _, err := s.Get(t.Context(), "mix-3"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(mix-3) = %v, want ErrNotFound", err)
	}
}

func TestWriteFrozenServerTimesOut(t *testing.T) {
	t.Parallel()
	c := pgtest.Dedicated(t)
	const writeTimeout = time.Second
	w, _ := setup(t, Config{URL: c.NewDB(t), WriteTimeout: writeTimeout, ProbeTimeout: 500 * time.Millisecond})
	write(t, w, fullCall("before"))

	c.Freeze(t)
	tests := []struct {
		name  string
		limit time.Duration
		op    func() error
	}{
		{name: "write", limit: writeTimeout, op: func() error { return w.Write(t.Context(), []record.Call{fullCall("frozen")}) }},
		// A batch: the write times out, the server does not answer the
		// ping that would tell a slow batch: no parts, the error.
		{name: "write a batch", limit: writeTimeout + 500*time.Millisecond, op: func() error {
			return w.Write(t.Context(), []record.Call{fullCall("frozen-1"), fullCall("frozen-2"), fullCall("frozen-3")})
		}},
		{name: "probe", limit: 500 * time.Millisecond, op: func() error { return w.Probe(t.Context()) }},
		{name: "ping", limit: 500 * time.Millisecond, op: func() error { return w.Ping(t.Context()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			err := tt.op()
			elapsed := time.Since(start)
			if err == nil || !IsRetryable(err) {
				t.Fatalf("%s on a frozen server = %v, want a retryable error", tt.name, err)
			}
			if elapsed > tt.limit+time.Second {
				t.Fatalf("%s on a frozen server returned after %v, want within its %v timeout", tt.name, elapsed, tt.limit)
			}
		})
	}
	if n := w.callsPerStatement(3); n != 3 {
		t.Errorf("%d calls per statement after writes to a frozen server, want 3: its batches were not too large", n)
	}
	if err := c.Thaw(); err != nil {
		t.Fatal(err)
	}
	write(t, w, fullCall("after"))
}

func TestWriteUnhealthyServerIsRetryable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(t *testing.T, url string, w *Writer)
		code    string
	}{
		{
			name: "read-only",
			prepare: func(t *testing.T, url string, w *Writer) {
				if _, err := w.Pool().Exec(t.Context(), "SELECT 1"); err != nil {
					t.Fatal(err)
				}
				w.Pool().Reset() // new sessions take the database's new default
				if _, err := pool(t, url).Exec(t.Context(), "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END $$"); err != nil {
					t.Fatal(err)
				}
			},
			code: "25006",
		},
		{
			name: "lock held",
			prepare: func(t *testing.T, url string, w *Writer) {
				holder := pool(t, url)
				tx, err := holder.Begin(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = tx.Rollback(t.Context()) })
				if _, err := tx.Exec(t.Context(), "LOCK TABLE calls IN ACCESS EXCLUSIVE MODE"); err != nil {
					t.Fatal(err)
				}
			},
			code: "55P03",
		},
		{
			name: "schema missing",
			prepare: func(t *testing.T, url string, w *Writer) {
				if _, err := w.Pool().Exec(t.Context(), "DROP TABLE calls CASCADE; DROP TABLE harborai_heartbeat"); err != nil {
					t.Fatal(err)
				}
			},
			code: "42P01",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := newDB(t)
			w, _ := setup(t, Config{URL: url, LockTimeout: 200 * time.Millisecond})
			tt.prepare(t, url, w)
			err := w.Write(ctxTimeout(t, 10*time.Second), []record.Call{fullCall("a"), fullCall("b")})
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != tt.code || !IsRetryable(err) {
				t.Fatalf("Write() = %v, want retryable SQLSTATE %s", err, tt.code)
			}
			if tt.name != "lock held" {
				if err := w.Probe(t.Context()); err == nil || !IsRetryable(err) {
					t.Fatalf("Probe() = %v, want a retryable error", err)
				}
			}
		})
	}
}

func TestProbeAndPing(t *testing.T) {
	t.Parallel()
	w, _ := setup(t, Config{})
	if err := w.Ping(t.Context()); err != nil {
		t.Fatalf("Ping() = %v", err)
	}
	for range 2 {
		if err := w.Probe(t.Context()); err != nil {
			t.Fatalf("Probe() = %v", err)
		}
	}
}

func TestNewWriterWithoutServer(t *testing.T) {
	t.Parallel()
	w, err := NewWriter(t.Context(), Config{URL: "postgres://u@127.0.0.1:1/db?sslmode=disable", ConnectTimeout: time.Second}, nil)
	if err != nil {
		t.Fatalf("NewWriter() with no server = %v, want a writer (connections are lazy)", err)
	}
	defer w.Close()
	err = w.Write(t.Context(), []record.Call{fullCall("a")})
	if err == nil || !IsRetryable(err) {
		t.Fatalf("Write() with no server = %v, want a retryable error", err)
	}
}

// TestWriteSurvivesTerminatedConnections kills the writer's connections
// while it copies large batches. pgconn's CopyFrom returns as soon as the
// server fails the COPY, while its goroutine may still be reading the
// batch's rows: the writer must not reuse them under it (run with -race).
// Written again until stored, every call is there once, as written.
func TestWriteSurvivesTerminatedConnections(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{})
	admin, err := pgx.Connect(t.Context(), w.cfg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	rnd := rand.New(rand.NewPCG(1, 1))
	letters := []byte("abcdefghijklmnopqrstuvwxyz 你好")
	body := func() *string {
		b := make([]byte, 16<<10)
		for i := range b {
			b[i] = letters[rnd.IntN(26)]
		}
		s := string(b)
		return &s
	}
	var batches [][]record.Call
	for i := range 12 {
		var batch []record.Call
		for j := range 100 {
			c := fullCall(fmt.Sprintf("kill-%02d-%03d", i, j))
			c.RequestBody, c.ResponseBody = body(), body()
			batch = append(batch, c)
		}
		batches = append(batches, batch)
	}

	// The killer terminates connections in the middle of a COPY, 20 of
	// them at most, then lets the writes finish.
	stop := make(chan struct{})
	killed := make(chan int, 1)
	go func() {
		n := 0
		defer func() { killed <- n }()
		for n < 20 {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			var k int
			err := admin.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE application_name = 'harborai-ingest' AND state = 'active' AND query LIKE 'COPY%'
				AND datname = current_database()`).Scan(&k)
			if err != nil {
				return
			}
			n += k
		}
	}()
	waitKiller := sync.OnceValue(func() int { close(stop); return <-killed })
	defer waitKiller() // before admin is closed
	failures := 0
	for _, batch := range batches {
		for attempt := 0; ; attempt++ {
			err := w.Write(t.Context(), batch)
			if err == nil {
				break
			}
			if !IsRetryable(err) || attempt > 100 {
				t.Fatalf("Write() = %v after %d attempts", err, attempt)
			}
			failures++
		}
	}
	t.Logf("%d connections terminated during a COPY, %d failed writes retried", waitKiller(), failures)
	if failures == 0 {
		t.Log("no write was interrupted: the test did not exercise a terminated COPY this time")
	}
	var n int
	if err := w.Pool().QueryRow(t.Context(), "SELECT count(*) FROM calls WHERE call_id LIKE 'kill-%'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 12*100 {
		t.Fatalf("%d calls stored, want %d", n, 12*100)
	}
	for _, i := range []int{0, 5, 11} {
		sameCall(t, get(t, s, batches[i][42].CallID), batches[i][42])
	}
}

// TestWriteCompressesBodiesWithLZ4 checks migration 0006: bodies written
// by either path, the direct COPY and the merge through the staging table,
// are compressed with lz4 (the test cluster's server has it, as Debian's
// does), and read back unchanged.
func TestWriteCompressesBodiesWithLZ4(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{})
	body := func(id, side string) *string {
		var b strings.Builder
		for i := range 200 {
			fmt.Fprintf(&b, `{"role":"user","content":"%s %s part %d of a long conversation"},`, id, side, i)
		}
		return ptr(b.String())
	}
	// direct: both events in one batch; merged: the response after the request.
	var direct []record.Call
	for _, frag := range fragments("direct")[:2] {
		frag.RequestBody, frag.ResponseBody = nilOr(frag.RequestBody, body("direct", "request")), nilOr(frag.ResponseBody, body("direct", "response"))
		direct = append(direct, frag)
	}
	write(t, w, direct...)
	merged := fragments("merged")[:2]
	for i := range merged {
		merged[i].RequestBody, merged[i].ResponseBody = nilOr(merged[i].RequestBody, body("merged", "request")), nilOr(merged[i].ResponseBody, body("merged", "response"))
		write(t, w, merged[i])
	}
	rows, err := w.Pool().Query(t.Context(), `SELECT call_id, pg_column_compression(request_body), pg_column_compression(response_body) FROM calls ORDER BY call_id`)
	if err != nil {
		t.Fatal(err)
	}
	type got struct{ ID, Req, Resp string }
	all, err := pgx.CollectRows(rows, pgx.RowToStructByPos[got])
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("calls = %+v, want 2 rows", all)
	}
	for _, g := range all {
		if g.Req != "lz4" || g.Resp != "lz4" {
			t.Errorf("call %s: bodies compressed with %q and %q, want lz4", g.ID, g.Req, g.Resp)
		}
		c := get(t, s, g.ID)
		if *c.RequestBody != *body(g.ID, "request") || *c.ResponseBody != *body(g.ID, "response") {
			t.Errorf("call %s: bodies read back differ from those written", g.ID)
		}
	}
}

// nilOr returns nil where p is nil, else v.
func nilOr(p, v *string) *string {
	if p == nil {
		return nil
	}
	return v
}

// TestWriteInPartsAfterStatementTimeout: a batch PostgreSQL cannot write
// within the statement timeout is written in parts, each within it, and
// the next batches too; it was retried whole, and failed, without end.
func TestWriteInPartsAfterStatementTimeout(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{StatementTimeout: 400 * time.Millisecond})
	slowRows(t, w) // 100 calls take a second in one statement
	for round := range 2 {
		var batch []record.Call
		for i := range 100 {
			batch = append(batch, fullCall(fmt.Sprintf("slow-%d-%03d", round, i)))
		}
		write(t, w, batch...)
		if n := w.callsPerStatement(100); n >= 100 || n < 1 {
			t.Errorf("round %d: %d calls per statement after the timeout, want fewer than 100", round, n)
		}
	}
	var n int
	if err := w.Pool().QueryRow(t.Context(), `SELECT count(*) FROM calls WHERE call_id LIKE 'slow-%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 200 {
		t.Fatalf("%d calls stored, want 200", n)
	}
	sameCall(t, get(t, s, "slow-1-042"), fullCall("slow-1-042"))
}

// TestWriteInPartsAfterWriteTimeout: a batch longer than the writer's own
// write timeout (a statement timeout set above it in the URL) is written
// in parts too, as the server still answers; it was retried whole for good.
func TestWriteInPartsAfterWriteTimeout(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{StatementTimeout: time.Hour, WriteTimeout: 400 * time.Millisecond})
	slowRows(t, w) // 100 calls take a second in one statement
	var batch []record.Call
	for i := range 100 {
		batch = append(batch, fullCall(fmt.Sprintf("wt-%03d", i)))
	}
	write(t, w, batch...)
	if n := w.callsPerStatement(100); n >= 100 {
		t.Errorf("%d calls per statement after the write timeout, want fewer than 100", n)
	}
	sameCall(t, get(t, s, "wt-077"), batch[77])
}

// TestWriteInPartsCountsEachCallOnce: when the merge of a batch times out
// after its direct copy committed, the batch is written again in parts:
// the calls already copied are not sent again, so each call is counted
// once, by the path that stored it.
func TestWriteInPartsCountsEachCallOnce(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{StatementTimeout: 400 * time.Millisecond})
	var batch []record.Call
	for i := range 100 {
		c := fullCall(fmt.Sprintf("mix-%03d", i))
		if i >= 20 { // a response alone: merged
			c.RequestEventID, c.RequestBody = "", nil
		}
		batch = append(batch, c)
	}
	slowRows(t, w) // 20 direct inserts fit in a statement, 80 merged rows do not
	write(t, w, batch...)
	if got := w.Counts(); got != (WriteCounts{Inserted: 20, Merged: 80}) {
		t.Errorf("counts %+v, want 20 inserted and 80 merged: each call once", got)
	}
	var n int
	if err := w.Pool().QueryRow(t.Context(), `SELECT count(*) FROM calls WHERE call_id LIKE 'mix-%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 100 {
		t.Fatalf("%d calls stored, want 100", n)
	}
	sameCall(t, get(t, s, "mix-007"), batch[7])
	sameCall(t, get(t, s, "mix-077"), batch[77])
}

// TestWriteInPartsReportsPoisonOnce: a call rejected as data in a part
// written before another part timed out is reported once, though the range
// is written again in smaller parts.
func TestWriteInPartsReportsPoisonOnce(t *testing.T) {
	t.Parallel()
	w, _ := setup(t, Config{StatementTimeout: 400 * time.Millisecond})
	slowRows(t, w)
	var batch []record.Call
	for i := range 100 {
		batch = append(batch, fullCall(fmt.Sprintf("part-%03d", i)))
	}
	batch[3].Usage.PromptTokens = ptr(int64(-1)) // rejected at once; the second half times out
	err := w.Write(t.Context(), batch)
	poison, ok := errors.AsType[*PoisonError](err)
	if !ok || len(poison.Calls) != 1 || len(poison.Errs) != 1 || poison.Calls[0].CallID != "part-003" {
		t.Fatalf("Write() = %v, want a PoisonError naming part-003 once", err)
	}
	var n int
	if err := w.Pool().QueryRow(t.Context(), `SELECT count(*) FROM calls WHERE call_id LIKE 'part-%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 99 {
		t.Fatalf("%d calls stored, want the 99 others", n)
	}
}

// slowRows makes each row inserted into calls cost 10 ms.
func slowRows(t *testing.T, w *Writer) {
	t.Helper()
	for _, sql := range []string{
		`CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.01); RETURN NEW; END $$`,
		`CREATE TRIGGER slow_row BEFORE INSERT ON calls FOR EACH ROW EXECUTE FUNCTION slow_row()`,
	} {
		if _, err := w.Pool().Exec(t.Context(), sql); err != nil {
			t.Fatal(err)
		}
	}
}
