package record_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
	"github.com/harborai/ingest/pkg/record"
)

func ptr[T any](v T) *T { return &v }

var start = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

// header is what every fragment of the test call repeats; env tells the
// fragments' headers apart (an ingestor defaults the environment tag).
func header(env string) record.Call {
	return record.Call{
		CallID: "call-1", HBTraceID: "hb_1795680000000_3fa9c2e1",
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "53995c3f42cd8ad8", ParentSpanID: "00f067aa0ba902b7",
		Provider: "openai", Model: "gpt-4o-mini", Endpoint: "chat.completions", Stream: true, StartedAt: start,
		Tags: event.Tags{Environment: env, Service: "support-bot", Metadata: map[string]string{"tenant": "acme"}},
	}
}

func withRequest(c record.Call, eventID, body string) record.Call {
	c.RequestEventID, c.RequestBody = eventID, ptr(body)
	return c
}

func withResponse(c record.Call, eventID, status string, httpStatus int, prompt, completion int64) record.Call {
	finished := start.Add(2431 * time.Millisecond)
	in, out := decimal.RequireFromString("0.000007800000"), decimal.RequireFromString("0.000010200000")
	c.ResponseEventID, c.Status, c.HTTPStatus, c.FinishedAt = eventID, status, ptr(httpStatus), &finished
	c.LatencyMS, c.TTFTMS, c.TokensPerSecond = ptr(2431.0), ptr(618.0), ptr(9.37)
	c.ServedModel, c.ResponseBody = "gpt-4o-mini-2024-07-18", ptr("body of "+eventID)
	c.Usage = &parse.Usage{PromptTokens: ptr(prompt), CompletionTokens: ptr(completion), TotalTokens: ptr(prompt + completion),
		Provider: "openai", Model: "gpt-4o-mini-2024-07-18", Method: "openai.chat.stream", Confidence: 1, Consistency: parse.Consistent}
	c.Cost = &cost.Info{InputCost: &in, OutputCost: &out, TotalCost: ptr(in.Add(out)), Currency: "USD",
		PricingSource: cost.SourceDefaultConfig, PricingTimestamp: start}
	if status == event.StatusError {
		c.ErrorType, c.ErrorMessage = "rate_limit", "Rate limit reached"
	}
	return c
}

// fragments returns the fragments of one call, as the ingestor builds them
// from its events, and the call they must merge into whatever the order.
func fragments() (frags map[string]record.Call, want record.Call) {
	req := withRequest(header("from-request"), "ev-b-request", `{"model":"gpt-4o-mini"}`)
	resp := withResponse(header("from-response"), "ev-d-response", event.StatusSuccess, 200, 52, 17)
	// A call event for the same call (an app that logged it after the fact too).
	call := withResponse(withRequest(header("from-call"), "ev-c-call", `{"model":"gpt-4o-mini","n":1}`),
		"ev-c-call", event.StatusSuccess, 200, 52, 18)
	// A second response with a different event id: the smallest id wins,
	// not the latest arrival.
	second := withResponse(header("from-second-response"), "ev-a-second-response", event.StatusError, 429, 0, 0)
	// The same response, stored through the spool.
	spooled := resp
	spooled.SpoolReason = "postgres_unavailable"

	frags = map[string]record.Call{
		"request": req, "response": resp, "call": call, "second response": second,
		"spooled response": spooled, "request again": req,
	}
	want = header("from-second-response") // the header of the smallest event id
	want.RequestEventID, want.RequestBody = req.RequestEventID, req.RequestBody
	want = withResponse(want, "ev-a-second-response", event.StatusError, 429, 0, 0)
	want.SpoolReason = "postgres_unavailable"
	return frags, want
}

func fold(calls []record.Call) record.Call {
	var out record.Call
	for _, c := range calls {
		out = record.Merge(out, c)
	}
	return out
}

// permutations calls f with every ordering of s.
func permutations[T any](s []T, f func([]T)) {
	var rec func(k int)
	rec = func(k int) {
		if k == len(s) {
			f(s)
			return
		}
		for i := k; i < len(s); i++ {
			s[k], s[i] = s[i], s[k]
			rec(k + 1)
			s[k], s[i] = s[i], s[k]
		}
	}
	rec(0)
}

// TestMergeEveryOrder folds every subset of the call's fragments in every
// order and checks that each subset gives one Call, and the full set the
// expected one.
func TestMergeEveryOrder(t *testing.T) {
	frags, want := fragments()
	names := make([]string, 0, len(frags))
	for n := range frags {
		names = append(names, n)
	}
	slices.Sort(names)
	for mask := 1; mask < 1<<len(names); mask++ {
		var subset []string
		for i, n := range names {
			if mask&(1<<i) != 0 {
				subset = append(subset, n)
			}
		}
		var first record.Call
		var firstOrder []string
		permutations(subset, func(order []string) {
			calls := make([]record.Call, len(order))
			for i, n := range order {
				calls[i] = frags[n]
			}
			got := fold(calls)
			if firstOrder == nil {
				first, firstOrder = got, slices.Clone(order)
				return
			}
			if !reflect.DeepEqual(got, first) {
				t.Fatalf("folding %v = %+v\nfolding %v = %+v\nwant the same", order, got, firstOrder, first)
			}
		})
		if len(subset) == len(names) && !reflect.DeepEqual(first, want) {
			t.Errorf("folding every fragment = %+v\nwant %+v", first, want)
		}
	}
}

// TestMergeWithRepeats folds random sequences in which every fragment
// appears at least once, some many times.
func TestMergeWithRepeats(t *testing.T) {
	frags, want := fragments()
	all := make([]record.Call, 0, len(frags))
	for _, c := range frags {
		all = append(all, c)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		seq := slices.Clone(all)
		for range r.IntN(15) {
			seq = append(seq, all[r.IntN(len(all))])
		}
		r.Shuffle(len(seq), func(i, j int) { seq[i], seq[j] = seq[j], seq[i] })
		if got := fold(seq); !reflect.DeepEqual(got, want) {
			t.Fatalf("sequence %d (%d fragments) = %+v, want %+v", i, len(seq), got, want)
		}
	}
}

func TestMergeRules(t *testing.T) {
	req := withRequest(header("a"), "ev-2", "request body")
	resp := withResponse(header("b"), "ev-3", event.StatusSuccess, 200, 10, 5)
	merged := record.Merge(req, resp)

	cases := []struct {
		name string
		got  record.Call
		want record.Call
	}{
		{"zero is the identity on the left", record.Merge(record.Call{}, resp), resp},
		{"zero is the identity on the right", record.Merge(resp, record.Call{}), resp},
		{"idempotent", record.Merge(req, req), req},
		{"a merged call absorbs its fragments", record.Merge(merged, resp), merged},
		{"commutative", record.Merge(resp, req), merged},
		{"the header of the smallest event id", merged, func() record.Call {
			c := withResponse(header("a"), "ev-3", event.StatusSuccess, 200, 10, 5)
			return withRequest(c, "ev-2", "request body")
		}()},
		{"byte-wise comparison: a prefix is smaller", record.Merge(
			withResponse(header("x"), "ev-10", event.StatusSuccess, 200, 1, 1),
			withResponse(header("y"), "ev-1", event.StatusError, 500, 2, 2)),
			withResponse(header("y"), "ev-1", event.StatusError, 500, 2, 2)},
		{"upper case sorts before lower case", record.Merge(
			withRequest(header("x"), "ev-a", "lower"),
			withRequest(header("y"), "ev-B", "upper")),
			withRequest(header("y"), "ev-B", "upper")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("Merge() = %+v\nwant %+v", tc.got, tc.want)
			}
		})
	}
}

// TestMergeCoversEveryField checks that Merge takes every field of the
// winning fragment: two calls differing in every field, the one with the
// smaller event ids must come out whole. A field added to Call and
// forgotten in Merge fails here.
func TestMergeCoversEveryField(t *testing.T) {
	small := withResponse(withRequest(header("small"), "ev-1", "small request"), "ev-1", event.StatusSuccess, 200, 1, 2)
	small.SpoolReason = "a-reason"
	small.ErrorType, small.ErrorMessage = "vendor_error", "partial content"
	big := record.Call{
		CallID: "call-1", HBTraceID: "hb_1111111111111_11111111", TraceID: "11111111111111111111111111111111",
		SpanID: "1111111111111111", ParentSpanID: "2222222222222222", Provider: "anthropic", Model: "claude",
		Endpoint: "messages", Stream: false, StartedAt: start.Add(time.Hour), Tags: event.Tags{UserID: "u"},
		RequestEventID: "ev-9", RequestBody: ptr("big request"),
		ResponseEventID: "ev-9", Status: event.StatusAbandoned, HTTPStatus: ptr(201), FinishedAt: ptr(start.Add(2 * time.Hour)),
		LatencyMS: ptr(1.0), TTFTMS: ptr(2.0), TokensPerSecond: ptr(3.0), ServedModel: "claude-x",
		ErrorType: "aborted", ErrorMessage: "client went away", ResponseBody: ptr("big response"),
		Usage: &parse.Usage{UsageMissing: true}, Cost: &cost.Info{PricingSource: cost.SourceNotFound},
		SpoolReason: "z-reason",
	}
	// Every field of both must be set and differ (but the key), or this
	// test proves nothing about it.
	vs, vb := reflect.ValueOf(small), reflect.ValueOf(big)
	for i := range vs.NumField() {
		name := vs.Type().Field(i).Name
		if name == "CallID" {
			continue
		}
		if vs.Field(i).IsZero() && name != "Stream" || reflect.DeepEqual(vs.Field(i).Interface(), vb.Field(i).Interface()) {
			t.Fatalf("test fragments: field %s is unset or equal in both; set it differently", name)
		}
	}
	for _, got := range []record.Call{record.Merge(small, big), record.Merge(big, small)} {
		if !reflect.DeepEqual(got, small) {
			t.Errorf("Merge() = %+v\nwant %+v", got, small)
		}
	}
}

func TestDisplayStatus(t *testing.T) {
	req := withRequest(header("e"), "ev-1", "body")
	cases := []struct {
		name            string
		call            record.Call
		want            string
		request, answer bool
	}{
		{"nothing", record.Call{}, record.StatusPending, false, false},
		{"request only", req, record.StatusPending, true, false},
		{"request and response", record.Merge(req, withResponse(header("e"), "ev-2", event.StatusSuccess, 200, 1, 1)), event.StatusSuccess, true, true},
		{"response only", withResponse(header("e"), "ev-2", event.StatusError, 500, 1, 1), event.StatusError, false, true},
		{"abandoned stream", record.Merge(withResponse(header("e"), "ev-2", event.StatusAbandoned, 200, 1, 1), req), event.StatusAbandoned, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.call.DisplayStatus(); got != tc.want {
				t.Errorf("DisplayStatus() = %q, want %q", got, tc.want)
			}
			if tc.call.HasRequest() != tc.request || tc.call.HasResponse() != tc.answer {
				t.Errorf("HasRequest(), HasResponse() = %v, %v, want %v, %v", tc.call.HasRequest(), tc.call.HasResponse(), tc.request, tc.answer)
			}
		})
	}
}

func TestMergeBatch(t *testing.T) {
	a1 := withRequest(header("e"), "ev-1", "a")
	a2 := withResponse(header("e"), "ev-2", event.StatusSuccess, 200, 1, 1)
	b1 := withRequest(header("e"), "ev-3", "b")
	b1.CallID = "call-2"
	c1 := withRequest(header("e"), "ev-4", "c")
	c1.CallID = "CALL-1" // the same call to a store that folds case

	got := record.MergeBatch([]record.Call{a2, b1, a1, a2}, nil)
	want := []record.Call{record.Merge(a1, a2), b1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MergeBatch() = %+v\nwant %+v", got, want)
	}

	got = record.MergeBatch([]record.Call{c1, b1, a1}, strings.ToLower)
	if len(got) != 2 || got[0].CallID != "call-1" || got[0].RequestEventID != "ev-1" || got[1].CallID != "call-2" {
		t.Errorf("MergeBatch(key = ToLower) = %+v, want call-1 (from ev-1) then call-2", got)
	}

	if got := record.MergeBatch(nil, nil); len(got) != 0 {
		t.Errorf("MergeBatch(nil) = %+v, want none", got)
	}
}

// TestMergeProperties checks the algebra that makes the stored row
// independent of order and repetition, on random fragments of random calls:
// Merge is commutative, associative and idempotent, with the zero Call as
// identity, and agrees with the rule stated in its documentation.
func TestMergeProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for i := range 3000 {
		frags := randomFragments(r, 1+r.IntN(6))
		a, b, c := frags[r.IntN(len(frags))], frags[r.IntN(len(frags))], frags[r.IntN(len(frags))]
		checks := []struct {
			name      string
			got, want record.Call
		}{
			{"commutative", record.Merge(a, b), record.Merge(b, a)},
			{"associative", record.Merge(record.Merge(a, b), c), record.Merge(a, record.Merge(b, c))},
			{"idempotent", record.Merge(a, a), a},
			{"identity", record.Merge(record.Call{}, a), a},
			{"absorbing", record.Merge(record.Merge(a, b), b), record.Merge(a, b)},
			{"the documented rule", fold(frags), byRule(frags)},
		}
		for _, ch := range checks {
			if !reflect.DeepEqual(ch.got, ch.want) {
				t.Fatalf("case %d: %s: got %+v\nwant %+v", i, ch.name, ch.got, ch.want)
			}
		}
	}
}

// FuzzMerge folds the random fragments of one call (from seed) in an order,
// with repeats, chosen by order, and checks the result against the sorted
// fold.
func FuzzMerge(f *testing.F) {
	f.Add(uint64(1), []byte{0, 1, 2, 3})
	f.Add(uint64(42), []byte{3, 3, 2, 2, 1, 1, 0, 0, 9, 200})
	f.Add(uint64(7), []byte{})
	f.Fuzz(func(t *testing.T, seed uint64, order []byte) {
		r := rand.New(rand.NewPCG(seed, seed>>1|1))
		frags := randomFragments(r, 1+int(seed%6))
		seq := slices.Clone(frags) // every fragment at least once
		for _, o := range order {
			seq = slices.Insert(seq, int(o)%(len(seq)+1), frags[int(o)%len(frags)])
		}
		if got, want := fold(seq), byRule(frags); !reflect.DeepEqual(got, want) {
			t.Fatalf("fold of %d fragments in the fuzzed order = %+v\nwant %+v", len(seq), got, want)
		}
	})
}

// randomFragments returns n fragments of one call with distinct event ids,
// varied headers and sides, and some exact duplicates.
func randomFragments(r *rand.Rand, n int) []record.Call {
	seen := map[string]bool{}
	newID := func() string {
		for {
			// Short ids over a small alphabet: prefixes and case make the
			// byte-wise order interesting.
			b := make([]byte, 1+r.IntN(3))
			for i := range b {
				b[i] = "aAb0_-"[r.IntN(6)]
			}
			if id := string(b); !seen[id] {
				seen[id] = true
				return id
			}
		}
	}
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	var out []record.Call
	for range n {
		if len(out) > 0 && r.IntN(5) == 0 {
			out = append(out, out[r.IntN(len(out))]) // a redelivery
			continue
		}
		c := header(pick("prod", "staging", ""))
		c.Model = pick("gpt-4o-mini", "gpt-4o", "")
		c.StartedAt = start.Add(time.Duration(r.IntN(1000)) * time.Millisecond)
		c.Stream = r.IntN(2) == 0
		id := newID()
		switch r.IntN(3) {
		case 0: // request
			c = withRequest(c, id, pick("a", "b"))
		case 1: // response
			c = withResponse(c, id, pick(event.StatusSuccess, event.StatusError, event.StatusAbandoned), 200+r.IntN(300), r.Int64N(100), r.Int64N(100))
		default: // call
			c = withResponse(withRequest(c, id, pick("a", "b")), id, event.StatusSuccess, 200, r.Int64N(100), r.Int64N(100))
		}
		c.SpoolReason = pick("", "", "postgres_unavailable", "postgres_timeout")
		out = append(out, c)
	}
	return out
}

// byRule merges fragments by the rule stated in Merge's documentation: each
// side from the fragment with the smallest event id for it, the header from
// the fragment whose smallest event id is the smallest, the smallest spool
// reason.
func byRule(frags []record.Call) record.Call {
	minID := func(c record.Call) string {
		ids := []string{}
		for _, id := range []string{c.RequestEventID, c.ResponseEventID} {
			if id != "" {
				ids = append(ids, id)
			}
		}
		return slices.Min(ids)
	}
	var head, req, resp *record.Call
	spool := ""
	for i := range frags {
		f := &frags[i]
		if head == nil || minID(*f) < minID(*head) {
			head = f
		}
		if f.HasRequest() && (req == nil || f.RequestEventID < req.RequestEventID) {
			req = f
		}
		if f.HasResponse() && (resp == nil || f.ResponseEventID < resp.ResponseEventID) {
			resp = f
		}
		if f.SpoolReason != "" && (spool == "" || f.SpoolReason < spool) {
			spool = f.SpoolReason
		}
	}
	out := record.Call{
		CallID: head.CallID, HBTraceID: head.HBTraceID, TraceID: head.TraceID, SpanID: head.SpanID, ParentSpanID: head.ParentSpanID,
		Provider: head.Provider, Model: head.Model, Endpoint: head.Endpoint, Stream: head.Stream, StartedAt: head.StartedAt, Tags: head.Tags,
		SpoolReason: spool,
	}
	if req != nil {
		out.RequestEventID, out.RequestBody = req.RequestEventID, req.RequestBody
	}
	if resp != nil {
		out.ResponseEventID, out.Status, out.HTTPStatus, out.FinishedAt = resp.ResponseEventID, resp.Status, resp.HTTPStatus, resp.FinishedAt
		out.LatencyMS, out.TTFTMS, out.TokensPerSecond, out.ServedModel = resp.LatencyMS, resp.TTFTMS, resp.TokensPerSecond, resp.ServedModel
		out.ErrorType, out.ErrorMessage, out.ResponseBody, out.Usage, out.Cost = resp.ErrorType, resp.ErrorMessage, resp.ResponseBody, resp.Usage, resp.Cost
	}
	return out
}

func ExampleMerge() {
	req := record.Call{CallID: "c1", Provider: "openai", RequestEventID: "01a2-request"}
	resp := record.Call{CallID: "c1", Provider: "openai", ResponseEventID: "01a3-response", Status: "success"}
	fmt.Println(req.DisplayStatus())
	a, b := record.Merge(req, resp), record.Merge(resp, req)
	fmt.Println(a.DisplayStatus(), reflect.DeepEqual(a, b))
	// Output:
	// pending
	// success true
}
