// Package sinktest is the conformance suite every sink passes (the spool and
// PostgreSQL): batches are durable when Write returns, writing is
// idempotent, and a call's fragments converge to the same stored call
// whatever their order and repetition.
package sinktest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/parse"
	"github.com/harborai/ingest/pkg/record"
)

// Harness opens a fresh, empty sink and reads back what it stores.
type Harness struct {
	// Open returns a new sink over an empty store.
	Open func(t *testing.T) ingest.Sink
	// Read returns every stored call (merged), in any order.
	Read func(t *testing.T) []record.Call
	// Normalize adjusts a call for comparison, for fields a store keeps in
	// another form (nil = none).
	Normalize func(c *record.Call)
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	t.Run("Roundtrip", func(t *testing.T) { testRoundtrip(t, h) })
	t.Run("SameBatchTwice", func(t *testing.T) { testSameBatchTwice(t, h) })
	t.Run("AnyOrder", func(t *testing.T) { testAnyOrder(t, h) })
	t.Run("PendingThenComplete", func(t *testing.T) { testPending(t, h) })
}

// Fragments returns the request and response fragments of call i, with
// every field set.
func Fragments(i int) (req, resp record.Call) {
	start := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
	header := record.Call{
		CallID:    fmt.Sprintf("0190c0de-0000-7000-8000-%012d", i),
		HBTraceID: fmt.Sprintf("hb_%013d_%08x", start.UnixMilli(), i),
		TraceID:   fmt.Sprintf("%032x", i+1),
		SpanID:    fmt.Sprintf("%016x", i+1),
		Provider:  "deepseek", Model: "deepseek-chat", Endpoint: "https://api.deepseek.com/chat/completions",
		Stream: i%2 == 0, StartedAt: start,
	}
	header.Tags.Environment = "test"
	header.Tags.SessionID = "会话-1"
	req, resp = header, header
	req.RequestEventID = fmt.Sprintf("0190c0de-0001-7000-8000-%012d", i)
	req.RequestBody = ptr(`{"model":"deepseek-chat","messages":[{"role":"user","content":"你好"}]}`)

	finished := start.Add(1500 * time.Millisecond)
	p, c, tot, cached := int64(1000+i), int64(500), int64(1500+i), int64(9007199254740993)
	in, out := decimal.RequireFromString("0.002000000001"), decimal.RequireFromString("0.0015")
	sum := in.Add(out)
	resp.ResponseEventID = fmt.Sprintf("0190c0de-0002-7000-8000-%012d", i)
	resp.Status = "success"
	resp.HTTPStatus = ptr(200)
	resp.FinishedAt = &finished
	resp.LatencyMS, resp.TTFTMS, resp.TokensPerSecond = ptr(1500.0), ptr(120.5), ptr(362.3)
	resp.ServedModel = "deepseek-chat"
	resp.ResponseBody = ptr(`{"usage":{"prompt_tokens":1000}}`)
	resp.Usage = &parse.Usage{PromptTokens: &p, CompletionTokens: &c, TotalTokens: &tot, CachedTokens: &cached,
		Provider: "deepseek", Method: "deepseek.chat", Confidence: 1, Consistency: parse.Consistent,
		Raw: []byte(`{"prompt_tokens":1000}`)}
	resp.Cost = &cost.Info{InputCost: &in, OutputCost: &out, TotalCost: &sum, Currency: "CNY",
		PricingSource: cost.SourceEnvironmentVariable, PricingTimestamp: start, Unit: 1000}
	if i%5 == 4 { // priced, but no cost could be computed: the reason is kept
		resp.Cost = &cost.Info{PricingSource: cost.SourceAPIParameter, PricingTimestamp: start,
			PricingError: `invalid price: custom_pricing.currency: unknown currency "AUD"`}
	}
	return req, resp
}

func testRoundtrip(t *testing.T, h Harness) {
	s := h.Open(t)
	var batch, want []record.Call
	for i := range 50 {
		req, resp := Fragments(i)
		batch = append(batch, req, resp)
		want = append(want, record.Merge(req, resp))
	}
	write(t, s, ingest.MergeBatch(batch))
	compare(t, h, want)
}

func testSameBatchTwice(t *testing.T, h Harness) {
	s := h.Open(t)
	var batch, want []record.Call
	for i := range 20 {
		req, resp := Fragments(i)
		batch = append(batch, record.Merge(req, resp))
		want = append(want, record.Merge(req, resp))
	}
	write(t, s, batch)
	write(t, s, batch)
	compare(t, h, want)
}

func testAnyOrder(t *testing.T, h Harness) {
	s := h.Open(t)
	req, resp := Fragments(7)
	dup := resp
	dup.ResponseEventID = "ffffffff-late-duplicate" // a second response: the smaller event id wins
	dup.Status = "error"
	orders := [][]record.Call{
		{req, resp}, {resp, req}, {resp, resp, req}, {req, req, resp, resp}, {dup, resp, req}, {req, dup, resp, dup},
	}
	var want []record.Call
	for i, order := range orders {
		id := fmt.Sprintf("order-%d", i)
		for _, frag := range order {
			frag.CallID = id
			write(t, s, []record.Call{frag})
		}
		w := record.Merge(req, resp)
		w.CallID = id
		want = append(want, w)
	}
	compare(t, h, want)
}

func testPending(t *testing.T, h Harness) {
	s := h.Open(t)
	req, resp := Fragments(3)
	write(t, s, []record.Call{req})
	got := h.Read(t)
	if len(got) != 1 || got[0].DisplayStatus() != record.StatusPending {
		t.Fatalf("after the request alone: %d calls, status %q; want 1 pending", len(got), status(got))
	}
	write(t, s, []record.Call{resp})
	compare(t, h, []record.Call{record.Merge(req, resp)})
}

func status(cs []record.Call) string {
	if len(cs) == 0 {
		return ""
	}
	return cs[0].DisplayStatus()
}

func write(t *testing.T, s ingest.Sink, calls []record.Call) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Write(ctx, calls); err != nil {
		t.Fatalf("Write(%d calls) = %v", len(calls), err)
	}
}

func compare(t *testing.T, h Harness, want []record.Call) {
	t.Helper()
	got := h.Read(t)
	if len(got) != len(want) {
		t.Fatalf("stored %d calls, want %d", len(got), len(want))
	}
	byID := map[string]record.Call{}
	for _, c := range got {
		if _, dup := byID[c.CallID]; dup {
			t.Fatalf("call %s stored twice", c.CallID)
		}
		byID[c.CallID] = c
	}
	for _, w := range want {
		g, ok := byID[w.CallID]
		if !ok {
			t.Fatalf("call %s not stored", w.CallID)
		}
		g.SpoolReason, w.SpoolReason = "", ""
		if h.Normalize != nil {
			h.Normalize(&g)
			h.Normalize(&w)
		}
		if !reflect.DeepEqual(canonical(g), canonical(w)) {
			t.Errorf("call %s:\n got %+v\nwant %+v", w.CallID, canonical(g), canonical(w))
		}
	}
}

func ptr[T any](v T) *T { return &v }
