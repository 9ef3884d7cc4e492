package pg

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
	"github.com/harborai/ingest/pkg/record"
)

// corpus writes n calls, one a minute from base backwards (call i started
// at base - i minutes): providers alternate openai/deepseek, every third
// call failed, every fifth is pending, total tokens are 100*i.
func corpus(t *testing.T, w *Writer, base time.Time, n int) []record.Call {
	t.Helper()
	var calls []record.Call
	for i := range n {
		c := fullCall(fmt.Sprintf("c%03d", i))
		c.StartedAt = base.Add(-time.Duration(i) * time.Minute)
		c.HBTraceID = fmt.Sprintf("hb_%013d_%08x", c.StartedAt.UnixMilli(), i)
		c.TraceID = fmt.Sprintf("%032x", i+1)
		c.Provider, c.Model = "openai", "gpt-4o-mini"
		c.Cost.Currency = "USD"
		if i%2 == 1 {
			c.Provider, c.Model = "deepseek", "deepseek-chat"
			c.Cost.Currency = "CNY"
		}
		c.Usage.TotalTokens = ptr(int64(100 * i))
		switch {
		case i%5 == 0:
			c.ResponseEventID, c.Status, c.Usage, c.Cost, c.ResponseBody = "", "", nil, nil, nil
		case i%3 == 0:
			c.Status, c.ErrorType, c.ErrorMessage = event.StatusError, "rate_limit", fmt.Sprintf("Rate limit reached (%d)", i)
		}
		calls = append(calls, c)
	}
	write(t, w, calls...)
	return calls
}

func ids(calls []record.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.CallID
	}
	return out
}

func TestListFiltersAndPages(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{})
	base := at("2025-03-01T12:00:00Z")
	calls := corpus(t, w, base, 40)
	where := func(keep func(i int, c record.Call) bool) []string {
		var out []string
		for i, c := range calls { // already newest first
			if keep(i, c) {
				out = append(out, c.CallID)
			}
		}
		return out
	}
	tests := []struct {
		name   string
		filter Filter
		want   []string
	}{
		{name: "all", filter: Filter{}, want: where(func(int, record.Call) bool { return true })},
		{name: "provider", filter: Filter{Provider: "deepseek"}, want: where(func(i int, _ record.Call) bool { return i%2 == 1 })},
		{name: "model", filter: Filter{Model: "gpt-4o-mini"}, want: where(func(i int, _ record.Call) bool { return i%2 == 0 })},
		{name: "pending", filter: Filter{Status: "pending"}, want: where(func(i int, _ record.Call) bool { return i%5 == 0 })},
		{name: "status error", filter: Filter{Status: "error"}, want: where(func(i int, _ record.Call) bool { return i%5 != 0 && i%3 == 0 })},
		{name: "errors only", filter: Filter{ErrorsOnly: true}, want: where(func(i int, _ record.Call) bool { return i%5 != 0 && i%3 == 0 })},
		{name: "since until", filter: Filter{Since: base.Add(-10 * time.Minute), Until: base.Add(-5 * time.Minute)}, want: where(func(i int, _ record.Call) bool { return i > 5 && i <= 10 })},
		{name: "hb trace id", filter: Filter{TraceID: calls[7].HBTraceID}, want: []string{"c007"}},
		{name: "otel trace id", filter: Filter{TraceID: calls[8].TraceID}, want: []string{"c008"}},
		{name: "text in error message", filter: Filter{Text: "LIMIT reached (27)"}, want: []string{"c027"}},
		{name: "text with wildcards is literal", filter: Filter{Text: "%_"}, want: nil},
		{name: "token range", filter: Filter{MinTokens: ptr(int64(1000)), MaxTokens: ptr(int64(1500))}, want: where(func(i int, _ record.Call) bool { return i >= 10 && i <= 15 && i%5 != 0 })},
		{name: "combined", filter: Filter{Provider: "openai", ErrorsOnly: true, Since: base.Add(-20 * time.Minute)}, want: where(func(i int, _ record.Call) bool { return i%2 == 0 && i%3 == 0 && i%5 != 0 && i <= 20 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, limit := range []int{3, 7, 1000} {
				f := tt.filter
				f.Limit = limit
				var got []string
				for pages := 0; ; pages++ {
					if pages > len(calls) {
						t.Fatal("List() pages never end")
					}
					page, next, err := s.List(t.Context(), f)
					if err != nil {
						t.Fatal(err)
					}
					if len(page) > limit {
						t.Fatalf("List(limit %d) = %d calls", limit, len(page))
					}
					got = append(got, ids(page)...)
					if next == nil {
						break
					}
					f.After = next
				}
				if !slices.Equal(got, tt.want) {
					t.Fatalf("List(%+v) by pages of %d = %v, want %v", tt.filter, limit, got, tt.want)
				}
			}
		})
	}
	// A listed call is the whole call.
	page, _, err := s.List(t.Context(), Filter{TraceID: calls[7].TraceID})
	if err != nil || len(page) != 1 {
		t.Fatalf("List(trace id) = %v, %v", page, err)
	}
	sameCall(t, page[0], calls[7])
}

func TestGetByAnyID(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{})
	c := fullCall("0190a000-aaaa-7000-8000-000000000001")
	other := fullCall("other")
	other.HBTraceID, other.TraceID = "hb_1736899200000_ffffffff", "ffffffffffffffffffffffffffffffff"
	write(t, w, c, other)
	tests := []struct{ name, id, want string }{
		{name: "call id", id: c.CallID, want: c.CallID},
		{name: "hb trace id", id: c.HBTraceID, want: c.CallID},
		{name: "otel trace id", id: c.TraceID, want: c.CallID},
		{name: "other call", id: "ffffffffffffffffffffffffffffffff", want: "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := get(t, s, tt.id); got.CallID != tt.want {
				t.Fatalf("Get(%q) = %s, want %s", tt.id, got.CallID, tt.want)
			}
		})
	}
	if _, err := s.Get(t.Context(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(nope) = %v, want ErrNotFound", err)
	}
	// Bytes PostgreSQL cannot take, in an id or a filter, match what the
	// writer stored for them, rather than failing the query.
	nul := fullCall("nul\x00id")
	write(t, w, nul)
	if got := get(t, s, "nul\x00id"); got.CallID != "nul\uFFFDid" {
		t.Fatalf("Get(nul id) = %q, want the stored nul\\uFFFDid", got.CallID)
	}
	for _, f := range []Filter{{Text: "\xff\x00"}, {TraceID: "a\x00"}, {Provider: "\xff"}} {
		if _, _, err := s.List(t.Context(), f); err != nil {
			t.Fatalf("List(%+v) = %v, want no error", f, err)
		}
	}
}

func TestGetLogByAnyTraceID(t *testing.T) {
	t.Parallel()
	w, _ := setup(t, Config{})
	c := fullCall("log-1")
	write(t, w, c)
	type result struct {
		logID, hb, otel, span, provider, model, total, currency string
		jaeger, zipkin                                          *string
	}
	query := func(id string) []result {
		rows, err := w.Pool().Query(t.Context(), "SELECT log_id, hb_trace_id, otel_trace_id, span_id, provider, model, total_cost::text, currency, apm_jaeger_link, apm_zipkin_link FROM get_log_by_any_trace_id($1)", id)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []result
		for rows.Next() {
			var r result
			if err := rows.Scan(&r.logID, &r.hb, &r.otel, &r.span, &r.provider, &r.model, &r.total, &r.currency, &r.jaeger, &r.zipkin); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
		return out
	}
	want := result{logID: "log-1", hb: c.HBTraceID, otel: c.TraceID, span: c.SpanID, provider: "deepseek", model: "deepseek-chat",
		total: "1.123456789012345679", currency: "CNY"}
	for _, id := range []string{c.HBTraceID, c.TraceID} {
		got := query(id)
		if len(got) != 1 || got[0].jaeger != nil || got[0].zipkin != nil {
			t.Fatalf("get_log_by_any_trace_id(%s) without APM settings = %+v, want one row, NULL links", id, got)
		}
		g := got[0]
		g.jaeger, g.zipkin = nil, nil
		if g != want {
			t.Fatalf("get_log_by_any_trace_id(%s) = %+v, want %+v", id, g, want)
		}
	}
	if _, err := w.Pool().Exec(t.Context(), `INSERT INTO harborai_settings (key, value) VALUES
		('apm.jaeger_base_url', 'http://jaeger:16686/'), ('apm.zipkin_base_url', 'http://zipkin:9411')`); err != nil {
		t.Fatal(err)
	}
	got := query(c.HBTraceID)
	if len(got) != 1 || got[0].jaeger == nil || got[0].zipkin == nil ||
		*got[0].jaeger != "http://jaeger:16686/trace/"+c.TraceID || *got[0].zipkin != "http://zipkin:9411/zipkin/traces/"+c.TraceID {
		t.Fatalf("get_log_by_any_trace_id links = %+v, want built from the settings", got)
	}
	if got := query("unknown"); len(got) != 0 {
		t.Fatalf("get_log_by_any_trace_id(unknown) = %+v, want no row", got)
	}
}

func TestSeedViews(t *testing.T) {
	t.Parallel()
	w, _ := setup(t, Config{})
	c := fullCall("v-1")
	write(t, w, c)
	tests := []struct {
		name, sql, want string
	}{
		{"api_logs", "SELECT id || ' ' || provider || ' ' || model || ' ' || status || ' ' || trace_id FROM api_logs WHERE id = 'v-1'",
			"v-1 deepseek deepseek-chat success " + c.HBTraceID},
		{"token_usage", "SELECT concat_ws(' ', log_id, prompt_tokens, completion_tokens, total_tokens, cached_tokens, parsing_method, confidence, consistency, raw_usage_data->>'prompt_tokens') FROM token_usage WHERE log_id = 'v-1'",
			"v-1 9007199254740993 9007199254740995 9223372036854775807 0 openai.chat 0.5 total_mismatch 9007199254740993"},
		{"cost_info", "SELECT concat_ws(' ', log_id, input_cost, output_cost, total_cost, currency, pricing_source, unit, input_price) FROM cost_info WHERE log_id = 'v-1'",
			"v-1 0.123456789012345678 1.000000000000000001 1.123456789012345679 CNY environment_variable 1000 0.002000000000000000"},
		{"tracing_info", "SELECT concat_ws(' ', log_id, hb_trace_id, otel_trace_id, span_id, operation_name, tags::text) FROM tracing_info WHERE log_id = 'v-1'",
			"v-1 " + c.HBTraceID + " " + c.TraceID + " " + c.SpanID + ` ai.chat.completion {"ai.system": "deepseek", "request.id": "r-1", "environment": "staging", "service.name": "客服机器人", "user.session": "s-1"}`},
		{"performance_metrics", "SELECT concat_ws(' ', log_id, latency_ms, ttft_ms, tokens_per_second) FROM performance_metrics WHERE log_id = 'v-1'",
			"v-1 2530.865 312.5 41.234567890123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			if err := w.Pool().QueryRow(t.Context(), tt.sql).Scan(&got); err != nil || got != tt.want {
				t.Fatalf("%s = %q, %v\nwant %q", tt.name, got, err, tt.want)
			}
		})
	}
}

// Grouped by model, rows come by provider, then model (as the spool's
// store sorts them), not by model first.
func TestStatsGroupsInProviderModelOrder(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{})
	for i, pm := range [][2]string{{"zhipu", "a-model"}, {"openai", "gpt-4o"}, {"baidu", "文心一言"}, {"openai", "b-model"}} {
		c := fullCall(fmt.Sprintf("call-%d", i))
		c.Provider, c.Model = pm[0], pm[1]
		write(t, w, c)
	}
	rows, err := s.Stats(t.Context(), StatsFilter{GroupBy: GroupByModel})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Provider+"/"+r.Model)
	}
	if want := "baidu/文心一言 openai/b-model openai/gpt-4o zhipu/a-model"; strings.Join(got, " ") != want {
		t.Fatalf("Stats by model: %v, want %s", got, want)
	}
}

// pricingFailed gives c a price that could not be applied (a custom price
// in an unknown currency): no cost.
func pricingFailed(c record.Call) record.Call {
	c.Cost = &cost.Info{PricingSource: cost.SourceDynamic, PricingError: "unknown currency XYZ"}
	return c
}

// noUsage leaves c without usage, as a 429 is.
func noUsage(c record.Call) record.Call {
	c.Usage = nil
	return c
}

func TestStatsPerCurrency(t *testing.T) {
	t.Parallel()
	w, s := setup(t, Config{})
	day1, day2 := at("2025-03-01T10:00:00Z"), at("2025-03-02T23:59:59Z")
	mk := func(id, provider, model, status string, started time.Time, currency, in, out string, tokens int64) record.Call {
		c := record.Call{CallID: id, Provider: provider, Model: model, StartedAt: started, RequestEventID: "r-" + id}
		if status == "" {
			return c
		}
		c.ResponseEventID, c.Status, c.LatencyMS = "s-"+id, status, ptr(float64(tokens))
		c.Usage = &parse.Usage{PromptTokens: ptr(tokens), CompletionTokens: ptr(tokens), TotalTokens: ptr(2 * tokens), Confidence: 1}
		c.Cost = &cost.Info{PricingSource: cost.SourceNotFound}
		if currency != "" {
			i, o := dec(in), dec(out)
			total := i.Add(*o)
			c.Cost = &cost.Info{InputCost: i, OutputCost: o, TotalCost: &total, Currency: currency, PricingSource: cost.SourceDefaultConfig}
		}
		return c
	}
	write(t, w,
		mk("a", "openai", "gpt-4o", "success", day1, "USD", "0.000000000000000001", "0.1", 10),
		mk("b", "openai", "gpt-4o", "error", day1, "USD", "0.2", "0.3", 20),
		mk("c", "openai", "gpt-4o-mini", "success", day2, "CNY", "1", "2", 30),
		mk("d", "deepseek", "deepseek-chat", "success", day2, "CNY", "0.5", "0.25", 40),
		mk("e", "deepseek", "deepseek-chat", "success", day2, "", "", "", 50), // not priced
		mk("f", "deepseek", "deepseek-chat", "", day2, "", "", "", 0),         // pending
		mk("g", "openai", "gpt-4o", "abandoned", day2, "USD", "1", "1", 60),
		pricingFailed(mk("h", "moonshot", "kimi", "success", day1, "", "", "", 70)), // tokens, no cost: unpriced
		noUsage(mk("i", "zhipu", "glm-4", "error", day1, "", "", "", 0)),            // a 429: nothing to price
	)
	type costs = []CurrencyCost
	cc := func(currency string, calls int64, in, out, total string) CurrencyCost {
		return CurrencyCost{Currency: currency, Calls: calls, InputCost: *dec(in), OutputCost: *dec(out), TotalCost: *dec(total)}
	}
	tests := []struct {
		name   string
		filter StatsFilter
		want   []StatsRow
	}{
		{name: "by provider", filter: StatsFilter{GroupBy: GroupByProvider}, want: []StatsRow{
			{Provider: "deepseek", Calls: 3, Success: 2, Pending: 1, Unpriced: 1, PromptTokens: 90, CompletionTokens: 90, TotalTokens: 180, AvgLatencyMS: 45,
				Costs: costs{cc("CNY", 1, "0.5", "0.25", "0.75")}},
			{Provider: "moonshot", Calls: 1, Success: 1, Unpriced: 1, PromptTokens: 70, CompletionTokens: 70, TotalTokens: 140, AvgLatencyMS: 70},
			{Provider: "openai", Calls: 4, Success: 2, Errors: 1, Abandoned: 1, PromptTokens: 120, CompletionTokens: 120, TotalTokens: 240, AvgLatencyMS: 30,
				Costs: costs{cc("CNY", 1, "1", "2", "3"), cc("USD", 3, "1.200000000000000001", "1.4", "2.600000000000000001")}},
			{Provider: "zhipu", Calls: 1, Errors: 1},
		}},
		{name: "by model, one provider", filter: StatsFilter{GroupBy: GroupByModel, Provider: "openai"}, want: []StatsRow{
			{Provider: "openai", Model: "gpt-4o", Calls: 3, Success: 1, Errors: 1, Abandoned: 1, PromptTokens: 90, CompletionTokens: 90, TotalTokens: 180, AvgLatencyMS: 30,
				Costs: costs{cc("USD", 3, "1.200000000000000001", "1.4", "2.600000000000000001")}},
			{Provider: "openai", Model: "gpt-4o-mini", Calls: 1, Success: 1, PromptTokens: 30, CompletionTokens: 30, TotalTokens: 60, AvgLatencyMS: 30,
				Costs: costs{cc("CNY", 1, "1", "2", "3")}},
		}},
		{name: "by day since day 2", filter: StatsFilter{GroupBy: GroupByDay, Since: at("2025-03-02T00:00:00Z")}, want: []StatsRow{
			{Day: at("2025-03-02T00:00:00Z"), Calls: 5, Success: 3, Abandoned: 1, Pending: 1, Unpriced: 1, PromptTokens: 180, CompletionTokens: 180, TotalTokens: 360, AvgLatencyMS: 45,
				Costs: costs{cc("CNY", 2, "1.5", "2.25", "3.75"), cc("USD", 1, "1", "1", "2")}},
		}},
		{name: "total", filter: StatsFilter{}, want: []StatsRow{
			{Calls: 9, Success: 5, Errors: 2, Abandoned: 1, Pending: 1, Unpriced: 2, PromptTokens: 280, CompletionTokens: 280, TotalTokens: 560, AvgLatencyMS: 35,
				Costs: costs{cc("CNY", 2, "1.5", "2.25", "3.75"), cc("USD", 3, "1.200000000000000001", "1.4", "2.600000000000000001")}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Stats(t.Context(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", tt.want); g != w {
				t.Fatalf("Stats(%+v) =\n %s\nwant\n %s", tt.filter, g, w)
			}
		})
	}
	if _, err := s.Stats(t.Context(), StatsFilter{GroupBy: "week"}); err == nil {
		t.Fatal("Stats(group by week) = nil error, want one")
	}
}
