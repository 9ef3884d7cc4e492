package pg

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
	"github.com/harborai/ingest/pkg/record"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newDB returns the URL of a fresh, empty database.
func newDB(t *testing.T) string {
	t.Helper()
	return pgtest.Start(t).NewDB(t)
}

// setup returns a writer and a store over a fresh, migrated database.
func setup(t *testing.T, cfg Config) (*Writer, *Store) {
	t.Helper()
	if cfg.URL == "" {
		cfg.URL = newDB(t)
	}
	w, err := NewWriter(t.Context(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	if _, err := Migrate(t.Context(), w.Pool()); err != nil {
		t.Fatal(err)
	}
	return w, NewStore(w.Pool(), cfg)
}

func write(t *testing.T, w *Writer, calls ...record.Call) {
	t.Helper()
	if err := w.Write(t.Context(), calls); err != nil {
		t.Fatalf("Write(%d calls) = %v", len(calls), err)
	}
}

func get(t *testing.T, s *Store, id string) record.Call {
	t.Helper()
	c, err := s.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get(%q) = %v", id, err)
	}
	return *c
}

// rowJSON returns the stored row of a call as jsonb text, all columns.
func rowJSON(t *testing.T, pool *pgxpool.Pool, id string, omit ...string) string {
	t.Helper()
	var s string
	sql := "SELECT (to_jsonb(c)"
	for _, o := range omit {
		sql += " - '" + o + "'"
	}
	sql += ")::text FROM calls c WHERE call_id = $1"
	if err := pool.QueryRow(t.Context(), sql, id).Scan(&s); err != nil {
		t.Fatalf("row of %s: %v", id, err)
	}
	return s
}

func ptr[T any](v T) *T { return &v }

func dec(s string) *decimal.Decimal {
	d := decimal.RequireFromString(s)
	return &d
}

// at returns a UTC time on PostgreSQL's microsecond grid.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC().Truncate(time.Microsecond)
}

// fullCall returns a call with every field set, at the edges of the types:
// 18-decimal costs, counts above 2^53, Chinese text.
func fullCall(id string) record.Call {
	req := `{"model":"deepseek-chat","messages":[{"role":"user","content":"你好，世界"}]}`
	resp := `{"id":"x","choices":[{"message":{"content":"你好！有什么可以帮你？"}}],"usage":{"prompt_tokens":9007199254740993}}`
	return record.Call{
		CallID:       id,
		HBTraceID:    "hb_1736899200000_0a1b2c3d",
		TraceID:      "4bf92f3577b34da6a3ce929d0e0e4736",
		SpanID:       "00f067aa0ba902b7",
		ParentSpanID: "a3ce929d0e0e4736",
		Provider:     "deepseek",
		Model:        "deepseek-chat",
		Endpoint:     "https://api.deepseek.com/chat/completions",
		Stream:       true,
		StartedAt:    at("2025-01-15T08:00:00.123456Z"),
		Tags: event.Tags{
			Environment: "staging", Service: "客服机器人", SessionID: "s-1", UserID: "u-1", RequestID: "r-1",
			Metadata: map[string]string{"团队": "平台", "k": "v"},
		},
		RequestEventID:  "0190a000-0000-7000-8000-000000000001",
		RequestBody:     &req,
		ResponseEventID: "0190a000-0000-7000-8000-000000000002",
		Status:          event.StatusSuccess,
		HTTPStatus:      ptr(200),
		FinishedAt:      ptr(at("2025-01-15T08:00:02.654321Z")),
		LatencyMS:       ptr(2530.865),
		TTFTMS:          ptr(312.5),
		TokensPerSecond: ptr(41.234567890123),
		ServedModel:     "deepseek-chat-v3",
		ErrorType:       "",
		ErrorMessage:    "",
		ResponseBody:    &resp,
		Usage: &parse.Usage{
			PromptTokens:     ptr(int64(9007199254740993)),
			CompletionTokens: ptr(int64(9007199254740995)),
			TotalTokens:      ptr(int64(9223372036854775807)),
			CachedTokens:     ptr(int64(0)),
			ReasoningTokens:  ptr(int64(120)),
			CacheWriteTokens: ptr(int64(7)),
			Provider:         "deepseek",
			Model:            "deepseek-chat-v3",
			Raw:              json.RawMessage(`{"prompt_tokens": 9007199254740993, "completion_tokens": 9007199254740995, "total_tokens": 9223372036854775807}`),
			Method:           "openai.chat",
			Confidence:       0.5,
			Consistency:      parse.TotalMismatch,
			TotalDerived:     true, // set with the rest, though a derived total cannot mismatch
		},
		Cost: &cost.Info{
			InputCost:        dec("0.123456789012345678"),
			OutputCost:       dec("1.000000000000000001"),
			TotalCost:        dec("1.123456789012345679"),
			Currency:         "CNY",
			PricingSource:    cost.SourceEnvironmentVariable,
			PricingTimestamp: at("2025-01-15T08:00:02.654321Z"),
			Unit:             1000,
			InputPrice:       dec("0.002000000000000000"),
			CachedInputPrice: dec("0.0005"),
			CacheWritePrice:  dec("0.0025"),
			OutputPrice:      dec("0.003"),
		},
		SpoolReason: "postgres_unhealthy",
	}
}

// canon renders a call so that two renderings are equal exactly when the
// calls are: decimals with their scale, raw JSON by value.
func canon(t *testing.T, c record.Call) string {
	t.Helper()
	var extra []string
	if c.Usage != nil {
		u := *c.Usage
		if u.Raw != nil {
			d := json.NewDecoder(bytes.NewReader(u.Raw))
			d.UseNumber()
			var v any
			if err := d.Decode(&v); err != nil {
				t.Fatalf("raw usage %s: %v", u.Raw, err)
			}
			u.Raw, _ = json.Marshal(v)
		}
		c.Usage = &u
	}
	if k := c.Cost; k != nil {
		for _, d := range []*decimal.Decimal{k.InputCost, k.OutputCost, k.TotalCost, k.InputPrice, k.CachedInputPrice, k.CacheWritePrice, k.OutputPrice} {
			if d == nil {
				extra = append(extra, "nil")
			} else {
				extra = append(extra, fmt.Sprintf("%se%d", d.Coefficient(), d.Exponent()))
			}
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + " " + strings.Join(extra, ",")
}

func sameCall(t *testing.T, got, want record.Call) {
	t.Helper()
	if g, w := canon(t, got), canon(t, want); g != w {
		t.Errorf("stored call differs:\n got %s\nwant %s", g, w)
	}
}

// ctxTimeout is a test context bounded by d.
func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
