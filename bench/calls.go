package bench

import (
	"fmt"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Stored calls for the query benchmark: rows written straight into the
// calls table, spread over a period, several providers and models with
// their currencies, about 5% errors. Generated, not ingested: this is how
// to get a million calls into a table in a minute or two.

// model is a priced model of the stored-calls mix.
type model struct {
	provider, name, currency string
	in, out                  int64 // price per million tokens, in 1e-4 units of the currency
}

var storedModels = []model{
	{"openai", "gpt-4o-mini", "USD", 1500, 6000},
	{"openai", "gpt-4o", "USD", 25000, 100000},
	{"anthropic", "claude-3-5-sonnet", "USD", 30000, 150000},
	{"deepseek", "deepseek-chat", "CNY", 20000, 80000},
	{"deepseek", "deepseek-reasoner", "CNY", 40000, 160000},
	{"qwen", "qwen-plus", "CNY", 8000, 20000},
	{"moonshot", "moonshot-v1-8k", "CNY", 120000, 120000},
	{"doubao", "doubao-pro-32k", "CNY", 8000, 20000},
}

// StoredColumns are the columns StoredRow fills, in its order.
var StoredColumns = []string{
	"call_id", "hb_trace_id", "trace_id", "span_id", "provider", "model", "endpoint", "stream", "started_at",
	"tags", "environment", "request_event_id", "request_body", "response_event_id", "status", "http_status",
	"finished_at", "latency_ms", "ttft_ms", "tokens_per_second", "served_model", "error_type", "error_message",
	"response_body", "prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens", "reasoning_tokens",
	"cache_write_tokens", "usage_missing", "is_error", "parsing_method", "confidence", "consistency",
	"input_cost", "output_cost", "total_cost", "currency", "pricing_source", "unit", "input_price", "output_price",
}

// Stored describes n calls spread evenly over [Until-Period, Until).
type Stored struct {
	N      int
	Until  time.Time
	Period time.Duration
}

// StartedAt is when call i started: calls are in time order.
func (s Stored) StartedAt(i int) time.Time {
	step := s.Period / time.Duration(s.N)
	return s.Until.Add(-s.Period + time.Duration(i)*step + time.Duration(mix(uint64(i))%uint64(step)))
}

// HBTraceID and TraceID are call i's trace ids.
func (s Stored) HBTraceID(i int) string {
	return fmt.Sprintf("hb_%013d_%08x", s.StartedAt(i).UnixMilli(), uint32(mix(uint64(i))))
}

func (s Stored) TraceID(i int) string {
	return fmt.Sprintf("%016x%016x", mix(uint64(i)^0x5bd1e995), mix(uint64(i)+1))
}

// Row returns call i's values in the order of StoredColumns.
func (s Stored) Row(i int) []any {
	h := mix(uint64(i))
	m := storedModels[h%uint64(len(storedModels))]
	started := s.StartedAt(i)
	ms := started.UnixMilli()
	id := fmt.Sprintf("%08x-%04x-7%03x-%04x-%012x", ms>>16, ms&0xffff, i&0xfff, 0x8000|(i>>12)&0x3fff, h&0xffffffffffff)
	latency := float64(300 + h%4000)
	finished := started.Add(time.Duration(latency) * time.Millisecond)
	gen := Gen{Run: "q"}
	req, resp := gen.Call(i, started)
	row := []any{
		id, s.HBTraceID(i), s.TraceID(i), fmt.Sprintf("%016x", h|1), m.provider, m.name,
		endpoint(m.provider), h%3 == 0, started,
		`{"environment":"prod","service":"bookshop"}`, "prod", id + "-q", req.Request.Body, id + "-r",
	}
	if h%20 == 7 { // about 5% errors: no usage, no cost
		return append(row, "error", 429+71*int32(h%2), finished, latency, nil, nil, nil,
			"rate_limit", "Rate limit reached, please retry", resp.Response.Body,
			nil, nil, nil, nil, nil, nil, true, true, "vendor_error", 1.0, nil,
			nil, nil, nil, nil, "not_found", nil, nil, nil)
	}
	pt, ct := Usage(i)
	cached := int64(pt / 4)
	inCost := m.in * int64(pt)   // 1e-4 currency per million tokens * tokens = 1e-10 currency
	outCost := m.out * int64(ct) //
	return append(row, "success", int32(200), finished, latency, float64(120+h%300), float64(ct)/(latency/1000), m.name, nil, nil, resp.Response.Body,
		int64(pt), int64(ct), int64(pt+ct), cached, int64(0), int64(0), false, false, "openai_usage", 1.0, "consistent",
		decimal(inCost, -10), decimal(outCost, -10), decimal(inCost+outCost, -10), m.currency, "default_config", int64(1_000_000),
		decimal(m.in, -4), decimal(m.out, -4))
}

func decimal(v int64, exp int32) pgtype.Numeric {
	return pgtype.Numeric{Int: big.NewInt(v), Exp: exp, Valid: true}
}

// mix is SplitMix64's finaliser: a fixed pseudo-random function of i.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
