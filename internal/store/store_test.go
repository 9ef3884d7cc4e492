package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/store"
	"github.com/harborai/ingest/pkg/cost"
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

// TestStoresAnswerAlike: the spool and PostgreSQL hold the same calls and
// must answer harborctl's questions the same way.
func TestStoresAnswerAlike(t *testing.T) {
	calls := sameCalls()
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
	if err := pw.Write(t.Context(), calls); err != nil {
		t.Fatal(err)
	}
	_ = pw.Close()
	ps, err := store.OpenPG(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ps.Close() })
	stores := map[string]store.Store{"spool": store.NewSpoolStore(dir), "postgres": ps}

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
			// Pages of two, each after the last call of the one before: the
			// whole list once, in order.
			var paged []string
			f := store.Filter{Limit: 2}
			for range 10 {
				page, err := s.List(t.Context(), f)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range page {
					paged = append(paged, c.CallID)
				}
				if len(page) < 2 {
					break
				}
				last := page[len(page)-1]
				f.After = &pg.Cursor{StartedAt: last.StartedAt, CallID: last.CallID}
			}
			if got := strings.Join(paged, " "); got != "call-5 call-4 call-3 call-2 call-1" {
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
