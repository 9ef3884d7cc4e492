package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/store"
	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
	"github.com/harborai/ingest/pkg/spool"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// sameCalls are five calls: two of openai sharing both trace ids (an
// agent's loop), an unpriced and a pending zhipu call, a baidu call priced in
// CNY; all share the OpenTelemetry trace id.
func sameCalls() []record.Call {
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	const otel = "4bf92f3577b34da6a3ce929d0e0e4736"
	priced := func(currency, total string) *cost.Info {
		d := decimal.RequireFromString(total)
		return &cost.Info{InputCost: &d, OutputCost: ptr(decimal.Zero), TotalCost: &d, Currency: currency,
			PricingSource: cost.SourceDefaultConfig, PricingTimestamp: t0, Unit: 1000}
	}
	usage := func(n int64) *parse.Usage {
		return &parse.Usage{PromptTokens: ptr(n), CompletionTokens: ptr(n), TotalTokens: ptr(2 * n), Confidence: 1}
	}
	call := func(i int, provider, model, status string) record.Call {
		c := record.Call{CallID: fmt.Sprintf("call-%d", i), TraceID: otel, Provider: provider, Model: model,
			StartedAt: t0.Add(time.Duration(i) * time.Minute), RequestEventID: fmt.Sprintf("req-%d", i), RequestBody: ptr("{}")}
		if status != "" {
			c.ResponseEventID, c.Status, c.ResponseBody, c.Usage = fmt.Sprintf("resp-%d", i), status, ptr(`{"ok":true}`), usage(int64(10*i))
		}
		return c
	}
	c1 := call(1, "openai", "gpt-4o", "error")
	c1.HBTraceID, c1.ErrorMessage, c1.Cost = "hb_shared", "Rate limit reached for gpt-4o", priced("USD", "0.5")
	c2 := call(2, "openai", "gpt-4o", "success")
	c2.HBTraceID, c2.Cost = "hb_shared", priced("USD", "0.25")
	c3 := call(3, "zhipu", "a-model", "success")
	c3.Cost = &cost.Info{PricingSource: cost.SourceNotFound}
	c4 := call(4, "zhipu", "a-model", "") // pending
	c5 := call(5, "baidu", "文心一言", "success")
	c5.Cost = priced("CNY", "0.0000001")
	c5.StartedAt = c5.StartedAt.Add(24 * time.Hour) // the next day
	return []record.Call{c1, c2, c3, c4, c5}
}

func ptr[T any](v T) *T { return &v }

// bothStores writes calls through the ingestor's spool sink to a spool and
// through pg.Writer to a fresh database, and returns the store over each.
func bothStores(t *testing.T, calls []record.Call) map[string]store.Store {
	t.Helper()
	dir := t.TempDir()
	w, err := spool.Open(spool.Options{Dir: dir, Sync: spool.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	sink := ingest.NewSpoolSink(w, "test")
	if err := sink.Write(t.Context(), calls); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	url := pgtest.Start(t).NewDB(t)
	pw, err := pg.NewWriter(t.Context(), pg.Config{URL: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pg.Migrate(t.Context(), pw.Pool()); err != nil {
		t.Fatal(err)
	}
	for i := range calls {
		calls[i].SpoolReason = "test" // as the spool sink marks them
	}
	if err := pw.Write(t.Context(), calls); err != nil {
		t.Fatal(err)
	}
	_ = pw.Close()
	ps, err := store.OpenPG(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ps.Close() })
	return map[string]store.Store{"spool": store.NewSpoolStore(dir), "postgres": ps}
}

// TestStoresAnswerAlike: the spool and PostgreSQL hold the same calls and
// must answer harborctl's questions the same way.
func TestStoresAnswerAlike(t *testing.T) {
	stores := bothStores(t, sameCalls())

	lists := []struct {
		name string
		f    store.Filter
		want string
	}{
		{"provider, exact", store.Filter{Provider: "openai"}, "call-2 call-1"},
		{"provider, other case", store.Filter{Provider: "OpenAI"}, ""},
		{"text, any case", store.Filter{Text: "rate limit"}, "call-1"},
		{"a call id as trace id", store.Filter{TraceID: "call-2"}, "call-2"},
		{"hb_trace_id", store.Filter{TraceID: "hb_shared"}, "call-2 call-1"},
		{"pending", store.Filter{Status: record.StatusPending}, "call-4"},
		{"errors only", store.Filter{ErrorsOnly: true}, "call-1"},
		{"until call-3's start, excluded", store.Filter{Until: time.Date(2026, 11, 26, 8, 3, 0, 0, time.UTC)}, "call-2 call-1"},
	}
	gets := []struct{ id, want string }{
		{"call-5", "call-5"},
		{"hb_shared", "call-1"},                        // the first of the calls sharing it
		{"4bf92f3577b34da6a3ce929d0e0e4736", "call-1"}, // likewise
		{"", ""},
		{"nope", ""},
	}
	for name, s := range stores {
		t.Run(name, func(t *testing.T) {
			for _, l := range lists {
				got, err := s.List(t.Context(), l.f)
				if err != nil {
					t.Fatalf("%s: List() = %v", l.name, err)
				}
				var ids []string
				for _, c := range got {
					ids = append(ids, c.CallID)
				}
				if strings.Join(ids, " ") != l.want {
					t.Errorf("%s: List(%+v) = %v, want %q", l.name, l.f, ids, l.want)
				}
			}
			if got := pagedIDs(t, s, 2); got != "call-5 call-4 call-3 call-2 call-1" {
				t.Errorf("pages of 2 = %s, want every call once, newest first", got)
			}
			for _, g := range gets {
				c, err := s.Get(t.Context(), g.id)
				switch {
				case g.want == "" && !errors.Is(err, store.ErrNotFound):
					t.Errorf("Get(%q) = %v, %v, want ErrNotFound", g.id, c, err)
				case g.want != "" && (err != nil || c.CallID != g.want):
					t.Errorf("Get(%q) = %v, %v, want %s", g.id, c, err, g.want)
				}
			}
			rows, err := s.Stats(t.Context(), store.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, fmt.Sprintf("%s/%s calls=%d unpriced=%d cost=%v", r.Provider, r.Model, r.Calls, r.Unpriced, r.Cost))
			}
			want := []string{
				"baidu/文心一言 calls=1 unpriced=0 cost=map[CNY:0.0000001]",
				"openai/gpt-4o calls=2 unpriced=0 cost=map[USD:0.75]",
				"zhipu/a-model calls=2 unpriced=1 cost=map[]",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("Stats() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for _, g := range []struct {
				by   string
				want []string
			}{
				{store.GroupByProvider, []string{"baidu// calls=1 cost=map[CNY:0.0000001]", "openai// calls=2 cost=map[USD:0.75]", "zhipu// calls=2 cost=map[]"}},
				{store.GroupByDay, []string{"//2026-11-26 calls=4 cost=map[USD:0.75]", "//2026-11-27 calls=1 cost=map[CNY:0.0000001]"}},
			} {
				rows, err := s.Stats(t.Context(), store.Filter{GroupBy: g.by})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range rows {
					got = append(got, fmt.Sprintf("%s/%s/%s calls=%d cost=%v", r.Provider, r.Model, r.Day, r.Calls, r.Cost))
				}
				if strings.Join(got, "\n") != strings.Join(g.want, "\n") {
					t.Errorf("Stats(by %s) =\n%s\nwant\n%s", g.by, strings.Join(got, "\n"), strings.Join(g.want, "\n"))
				}
			}
		})
	}
}

// pagedIDs lists every call of s in pages of size, each page after the
// last call of the one before (the cursor harborctl prints), and returns
// the call ids in the order listed.
func pagedIDs(t *testing.T, s store.Store, size int) string {
	t.Helper()
	var ids []string
	f := store.Filter{Limit: size}
	for range 100 {
		page, err := s.List(t.Context(), f)
		if err != nil {
			t.Fatalf("List(%+v) = %v", f, err)
		}
		for _, c := range page {
			ids = append(ids, c.CallID)
		}
		if len(page) < size {
			return strings.Join(ids, " ")
		}
		last := page[len(page)-1]
		f.After = &pg.Cursor{StartedAt: last.StartedAt, CallID: last.CallID}
	}
	t.Fatalf("still paging after 100 pages: %v", ids)
	return ""
}

// TestStoresPageThroughCallsStartedTogether: calls sharing a start time
// across page boundaries are each listed once, by call id descending.
func TestStoresPageThroughCallsStartedTogether(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	var calls []record.Call
	for _, i := range []int{2, 0, 4, 1, 3} {
		calls = append(calls, record.Call{CallID: fmt.Sprintf("same-%d", i), Provider: "openai", Model: "gpt-4o",
			StartedAt: at, RequestEventID: fmt.Sprintf("req-%d", i)})
	}
	for name, s := range bothStores(t, calls) {
		if got, want := pagedIDs(t, s, 2), "same-4 same-3 same-2 same-1 same-0"; got != want {
			t.Errorf("%s: pages of 2 = %s, want %s", name, got, want)
		}
	}
}

// TestStoresGetPrefersCallID: an id that is one call's call id and an
// earlier call's trace id finds the call it names.
func TestStoresGetPrefersCallID(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	calls := []record.Call{
		{CallID: "call-a", HBTraceID: "call-b", TraceID: "call-b", Provider: "openai", Model: "gpt-4o", StartedAt: at, RequestEventID: "req-a"},
		{CallID: "call-b", Provider: "openai", Model: "gpt-4o", StartedAt: at.Add(time.Minute), RequestEventID: "req-b"},
	}
	for name, s := range bothStores(t, calls) {
		c, err := s.Get(t.Context(), "call-b")
		if err != nil {
			t.Fatalf("%s: Get(call-b) = %v", name, err)
		}
		if c.CallID != "call-b" {
			t.Errorf("%s: Get(call-b) = call %s, want call-b", name, c.CallID)
		}
	}
}

// TestStoresListBeyondOnePage: a limit above PostgreSQL's page of 1000
// calls lists every call once, newest first.
func TestStoresListBeyondOnePage(t *testing.T) {
	const n = 1200
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	calls := make([]record.Call, n)
	want := make([]string, n)
	for i := range calls {
		id := fmt.Sprintf("call-%04d", i)
		calls[i] = record.Call{CallID: id, Provider: "openai", Model: "gpt-4o", StartedAt: at.Add(time.Duration(i) * time.Second),
			RequestEventID: "req-" + id}
		want[n-1-i] = id
	}
	for name, s := range bothStores(t, calls) {
		got, err := s.List(t.Context(), store.Filter{Limit: 1500})
		if err != nil {
			t.Fatalf("%s: List(limit 1500) = %v", name, err)
		}
		ids := make([]string, len(got))
		for i, c := range got {
			ids[i] = c.CallID
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s: List(limit 1500) = %d calls (first %v), want the %d calls once, newest first", name, len(ids), ids[:min(3, len(ids))], n)
		}
	}
}

// storedFormCalls hold what PostgreSQL cannot keep as it is: times finer
// than a microsecond, NUL bytes and invalid UTF-8 in text, tags and raw
// usage, a currency in lower case and a cost without a pricing source.
// edge-1 is a little newer than edge-2 but within the same microsecond.
func storedFormCalls() []record.Call {
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 1_000, time.UTC) // 1 µs past the second
	call := func(id string, ns int) record.Call {
		started := t0.Add(time.Duration(ns))
		finished := started.Add(1500*time.Millisecond + 999)
		total := decimal.RequireFromString("0.125000000000") // pkg/cost's 12 places
		return record.Call{CallID: id, HBTraceID: "hb_\x00" + id, TraceID: "trace-\xff", Provider: "open\x00ai", Model: "gpt\xff",
			StartedAt: started, RequestEventID: "req-" + id, RequestBody: ptr("ask \x00 \xff"),
			ResponseEventID: "resp-" + id, Status: "error", FinishedAt: &finished, ResponseBody: ptr("{\"a\":\"\x00\"}"),
			ErrorMessage: "vendor said \x00 no", ErrorType: "rate\xfflimit",
			Tags: event.Tags{Environment: "prod\x00", Metadata: map[string]string{"k\x00": "v\xff", "n": "\x00"}},
			Usage: &parse.Usage{PromptTokens: ptr(int64(5)), CompletionTokens: ptr(int64(7)), TotalTokens: ptr(int64(12)),
				Raw: json.RawMessage(`{"a":"x\u0000y","b":"\ud800","c":"\ud83d\ude00"}`), Method: "openai.chat", Confidence: 1},
			Cost: &cost.Info{TotalCost: &total, InputCost: &total, OutputCost: ptr(decimal.New(0, -12)), Currency: " usd ",
				PricingTimestamp: started.Add(333), Unit: 1000},
		}
	}
	unpriced := call("edge-3", 0)
	unpriced.StartedAt, unpriced.Provider, unpriced.Status = unpriced.StartedAt.Add(time.Minute), "zhipu", record.StatusPending
	unpriced.Cost = &cost.Info{} // no source: stored as not_found
	return []record.Call{call("edge-1", 900), call("edge-2", 500), unpriced}
}

// answer is what harborctl prints of a call (logs --json, logs show --json).
func answer(t *testing.T, c *record.Call) string {
	t.Helper()
	out := struct {
		store.View
		RequestBody  *string    `json:"request_body"`
		ResponseBody *string    `json:"response_body"`
		Tags         event.Tags `json:"tags"`
		RawUsage     any        `json:"raw_usage"`
	}{View: store.NewView(c), RequestBody: c.RequestBody, ResponseBody: c.ResponseBody, Tags: c.Tags}
	if c.Usage != nil && len(c.Usage.Raw) > 0 {
		// jsonb rewrites whitespace and key order: compared as values.
		if err := json.Unmarshal(c.Usage.Raw, &out.RawUsage); err != nil {
			t.Fatalf("call %s: raw usage %s: %v", c.CallID, c.Usage.Raw, err)
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStoresAnswerAlikeStoredForms: where PostgreSQL stores a call in a
// form other than the spool's (microseconds, text it cannot hold), the
// spool store answers with PostgreSQL's form, for the calls it returns and
// for the filters and cursors at the edges.
func TestStoresAnswerAlikeStoredForms(t *testing.T) {
	calls := storedFormCalls()
	stores := bothStores(t, calls)
	edge1, edge2 := calls[0].StartedAt, calls[1].StartedAt
	sameMicro := edge1.Truncate(time.Microsecond)
	queries := []struct {
		name string
		f    store.Filter
	}{
		{"all", store.Filter{}},
		{"since, within the microsecond", store.Filter{Since: edge1}},
		{"until, within the microsecond", store.Filter{Until: edge2}},
		{"until, the microsecond", store.Filter{Until: sameMicro}},
		{"after edge-2, within the microsecond", store.Filter{After: &pg.Cursor{StartedAt: edge2, CallID: "edge-2"}}},
		{"after edge-1, within the microsecond", store.Filter{After: &pg.Cursor{StartedAt: edge1, CallID: "edge-1"}}},
		{"provider with NUL", store.Filter{Provider: "open\x00ai"}},
		{"provider as stored", store.Filter{Provider: "open\uFFFDai"}},
		{"model with invalid UTF-8", store.Filter{Model: "gpt\xff"}},
		{"text with NUL", store.Filter{Text: "said \x00"}},
		{"text as stored", store.Filter{Text: "said \uFFFD"}},
		{"trace id with invalid UTF-8", store.Filter{TraceID: "trace-\xff"}},
		{"hb_trace_id with NUL", store.Filter{TraceID: "hb_\x00edge-1"}},
	}
	answers := map[string]map[string]string{}
	var order []string
	for _, name := range []string{"postgres", "spool"} {
		s := stores[name]
		got := map[string]string{}
		order = order[:0]
		add := func(q, a string) { order, got[q] = append(order, q), a }
		for _, q := range queries {
			calls, err := s.List(t.Context(), q.f)
			if err != nil {
				t.Fatalf("%s: List(%s) = %v", name, q.name, err)
			}
			a := fmt.Sprintf("%d calls", len(calls))
			for i := range calls {
				a += "\n" + answer(t, &calls[i])
			}
			add("List("+q.name+")", a)
		}
		for _, id := range []string{"edge-1", "hb_\x00edge-2", "hb_\uFFFDedge-2", "trace-\xff"} {
			if c, err := s.Get(t.Context(), id); err != nil {
				add(fmt.Sprintf("Get(%q)", id), err.Error())
			} else {
				add(fmt.Sprintf("Get(%q)", id), answer(t, c))
			}
		}
		for _, f := range []store.Filter{{}, {Since: edge2}, {Since: edge2.Add(100)}, {Until: edge2.Add(100)}, {GroupBy: store.GroupByDay}} {
			rows, err := s.Stats(t.Context(), f)
			if err != nil {
				t.Fatalf("%s: Stats(%+v) = %v", name, f, err)
			}
			add(fmt.Sprintf("Stats(since %s, until %s, by %q)", f.Since.Format(time.RFC3339Nano), f.Until.Format(time.RFC3339Nano), f.GroupBy),
				fmt.Sprintf("%+v", rows))
		}
		answers[name] = got
	}
	for _, q := range order {
		if p, s := answers["postgres"][q], answers["spool"][q]; p != s {
			t.Errorf("%s:\npostgres: %s\nspool:    %s", q, p, s)
		}
	}
	// The spool itself keeps every byte and nanosecond.
	all, err := stores["spool"].(*store.SpoolStore).All(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || !all[1].StartedAt.Equal(edge1) || *all[1].RequestBody != "ask \x00 \uFFFD" || all[0].Status != record.StatusPending {
		t.Errorf("All() = %+v, want the calls as written", all)
	}
}

// TestStatsSumBeyondInt64: token sums are exact, never wrapped around and
// never an error: PostgreSQL's numeric sum of one currency's calls does not
// fit an int64, nor does the sum of a group's currencies, nor the spool's
// sum; both stores answer with the exact sums, alike, in every grouping,
// and the other groups are unaffected.
func TestStatsSumBeyondInt64(t *testing.T) {
	const half = int64(1) << 62
	for _, tc := range []struct {
		name       string
		currencies []string
	}{
		{"one currency", []string{"USD", "USD"}},        // PostgreSQL: the scan of the numeric sum fails
		{"two currencies", []string{"USD", "CNY"}},      // PostgreSQL: the group's sum of its currencies' sums
		{"unpriced and priced", []string{"", "USD"}},    // a NULL currency is a group of its own
		{"three", []string{"USD", "USD", "CNY", "EUR"}}, // both
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls []record.Call
			for i, cur := range tc.currencies {
				one := decimal.RequireFromString("1")
				c := record.Call{CallID: fmt.Sprintf("big-%d", i), Provider: "openai", Model: "gpt-4o",
					StartedAt: time.Date(2026, 11, 26, 8, i, 0, 0, time.UTC), ResponseEventID: fmt.Sprintf("resp-%d", i), Status: "success",
					Usage: &parse.Usage{PromptTokens: ptr(half), CompletionTokens: ptr(int64(1)), TotalTokens: ptr(half + 1), Confidence: 1},
					Cost: &cost.Info{InputCost: &one, OutputCost: ptr(decimal.Zero), TotalCost: &one, Currency: cur,
						PricingSource: cost.SourceDefaultConfig}}
				if cur == "" {
					c.Cost = &cost.Info{PricingSource: cost.SourceNotFound}
				}
				calls = append(calls, c)
			}
			small := calls[0]
			small.CallID, small.ResponseEventID, small.Model = "small", "resp-small", "gpt-4o-mini"
			small.Usage = &parse.Usage{PromptTokens: ptr(int64(3)), CompletionTokens: ptr(int64(4)), TotalTokens: ptr(int64(7)), Confidence: 1}
			calls = append(calls, small)
			n := int64(len(tc.currencies))
			wantPrompt := decimal.NewFromInt(half).Mul(decimal.NewFromInt(n))
			answers := map[string]string{}
			for name, s := range bothStores(t, calls) {
				for _, by := range []string{store.GroupByModel, store.GroupByProvider, store.GroupByDay} {
					rows, err := s.Stats(t.Context(), store.Filter{GroupBy: by})
					if err != nil {
						t.Fatalf("%s: Stats(by %s) = %v, want the exact sums", name, by, err)
					}
					answers[name] += fmt.Sprintf("by %s: %+v\n", by, rows)
					if by != store.GroupByModel {
						continue
					}
					if len(rows) != 2 || rows[0].PromptTokens.String() != wantPrompt.String() || rows[0].CompletionTokens.String() != fmt.Sprint(n) ||
						rows[0].TotalTokens.String() != wantPrompt.Add(decimal.NewFromInt(n)).String() || rows[0].Calls != n {
						t.Errorf("%s: Stats() = %+v, want gpt-4o with %s prompt tokens", name, rows, wantPrompt)
					}
					if len(rows) == 2 && (rows[1].PromptTokens.String() != "3" || rows[1].TotalTokens.String() != "7") {
						t.Errorf("%s: Stats() = %+v, want gpt-4o-mini unaffected", name, rows)
					}
					b, _ := json.Marshal(rows[0])
					if !strings.Contains(string(b), `"prompt_tokens":`+wantPrompt.String()+",") {
						t.Errorf("%s: JSON %s, want prompt_tokens %s as a number", name, b, wantPrompt)
					}
				}
			}
			if answers["postgres"] != answers["spool"] {
				t.Errorf("the stores disagree:\npostgres: %s\nspool:    %s", answers["postgres"], answers["spool"])
			}
		})
	}
}

// TestViewOfPendingCall: a pending call has no usage yet: --json says
// usage_missing null (PostgreSQL's column is NULL), not false, in both
// stores; a call with usage says false.
func TestViewOfPendingCall(t *testing.T) {
	for name, s := range bothStores(t, sameCalls()) {
		for id, want := range map[string]string{"call-4": `"usage_missing":null`, "call-2": `"usage_missing":false`} {
			c, err := s.Get(t.Context(), id)
			if err != nil {
				t.Fatalf("%s: Get(%s) = %v", name, id, err)
			}
			b, err := json.Marshal(store.NewView(c))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), want) {
				t.Errorf("%s: view of %s = %s, want %s", name, id, b, want)
			}
		}
	}
}

// TestStoresCountUnpricedAlike: a call with tokens but no cost (no price
// found, or pricing failed) is unpriced in both stores; a call without
// tokens (a 429) is not.
func TestStoresCountUnpricedAlike(t *testing.T) {
	calls := sameCalls()[:3] // call-3: not_found, with tokens
	failed := calls[1]
	failed.CallID, failed.ResponseEventID, failed.RequestEventID = "call-failed", "resp-failed", "req-failed"
	failed.Cost = &cost.Info{PricingSource: cost.SourceDynamic, PricingError: "unknown currency XYZ"}
	limited := calls[0]
	limited.CallID, limited.ResponseEventID, limited.RequestEventID = "call-429", "resp-429", "req-429"
	limited.Usage, limited.Cost = nil, &cost.Info{PricingSource: cost.SourceNotFound}
	for name, s := range bothStores(t, append(calls, failed, limited)) {
		t.Run(name, func(t *testing.T) {
			rows, err := s.Stats(t.Context(), store.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var calls, unpriced int64
			for _, r := range rows {
				calls, unpriced = calls+r.Calls, unpriced+r.Unpriced
			}
			if calls != 5 || unpriced != 2 {
				t.Errorf("Stats() = %d calls, %d unpriced; want 5 calls, 2 unpriced (call-3 and call-failed)", calls, unpriced)
			}
		})
	}
}
