package ingestor_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// TestUserPricingCaseEndToEnd is the user's example: with
// DEEPSEEK_INPUT_PRICE=0.002 DEEPSEEK_OUTPUT_PRICE=0.003 COST_CURRENCY=CNY a
// deepseek-chat call of 1000 prompt and 500 completion tokens is stored with
// input 0.002, output 0.0015, total 0.0035 CNY from environment_variable.
func TestUserPricingCaseEndToEnd(t *testing.T) {
	r := startIngestor(t, ingestor.DefaultConfig(), env(map[string]string{
		"DEEPSEEK_INPUT_PRICE": "0.002", "DEEPSEEK_OUTPUT_PRICE": "0.003", "COST_CURRENCY": "CNY",
	}))
	pub, err := harborai.Connect(r.NATSURL)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"id":"x","object":"chat.completion","model":"deepseek-chat","choices":[{"index":0,"message":{"role":"assistant","content":"好"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":1000}}`
	mustNil(t, pub.LogCall(context.Background(), harborai.CallInfo{Provider: "deepseek", Model: "deepseek-chat"},
		event.Request{Body: "{}"}, event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: body}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pub.Close(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the call stored", func() (bool, string) {
		n := len(r.calls(t))
		return n == 1, fmt.Sprintf("%d calls", n)
	})
	ci := r.calls(t)[0].Cost
	got := fmt.Sprintf("%s %s %s %s %s", ci.InputCost, ci.OutputCost, ci.TotalCost, ci.Currency, ci.PricingSource)
	if want := "0.002 0.0015 0.0035 CNY environment_variable"; got != want {
		t.Fatalf("stored cost = %q, want %q", got, want)
	}
	// The same call as the operator's dashboard sees it (counted just
	// after the write is acknowledged).
	waitFor(t, 10*time.Second, "the call counted", func() (bool, string) {
		n := counter(r.scrape(t), "harborai_calls_total", "status", "success")
		return n == 1, fmt.Sprintf("harborai_calls_total = %v", n)
	})
	fams := r.scrape(t)
	for _, m := range []struct {
		name, label, value string
		want               float64
	}{
		{"harborai_cost_total", "currency", "CNY", 0.0035},
		{"harborai_tokens_total", "type", "prompt", 1000},
		{"harborai_tokens_total", "type", "completion", 500},
		{"harborai_calls_total", "status", "success", 1},
		{"harborai_fallback_logger_state", "", "", 1},
	} {
		if got := counter(fams, m.name, m.label, m.value); got != m.want {
			t.Errorf("%s{%s=%q} = %v, want %v", m.name, m.label, m.value, got, m.want)
		}
	}
}

// TestInvalidPriceVariableStopsStartup: a bad price variable is an error at
// start-up naming it, not a silently mispriced call later.
func TestInvalidPriceVariableStopsStartup(t *testing.T) {
	cfg := ingestor.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.NATSListen = "127.0.0.1:0"
	err := ingestor.Run(context.Background(), cfg, ingestor.Deps{Lookup: env(map[string]string{"DEEPSEEK_INPUT_PRICE": "-1", "DEEPSEEK_OUTPUT_PRICE": "0.003"})})
	if err == nil || !strings.Contains(err.Error(), "DEEPSEEK_INPUT_PRICE") {
		t.Fatalf("Run() = %v, want an error naming DEEPSEEK_INPUT_PRICE", err)
	}
}
