package ingest

import (
	"bytes"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/shopspring/decimal"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/parse"
	"github.com/harborai/ingest/pkg/record"
)

// observeEach is observeStored as first written, a label lookup per call
// and counter: the reference the batch-summing version is held to.
func observeEach(m *Metrics, calls []record.Call) {
	add := func(v *prometheus.CounterVec, provider, model, typ string, n *int64) {
		if n != nil && *n > 0 {
			v.WithLabelValues(provider, model, typ).Add(float64(*n))
		}
	}
	for _, c := range calls {
		if !c.HasResponse() {
			continue
		}
		m.CallsStored.WithLabelValues(c.Provider, c.Model, c.Status).Inc()
		if c.LatencyMS != nil {
			m.CallDuration.WithLabelValues(c.Provider, c.Model).Observe(*c.LatencyMS / 1000)
		}
		if c.TTFTMS != nil {
			m.TTFT.WithLabelValues(c.Provider, c.Model).Observe(*c.TTFTMS / 1000)
		}
		if u := c.Usage; u != nil && !u.UsageMissing {
			m.Confidence.Observe(u.Confidence)
			add(m.Tokens, c.Provider, c.Model, "prompt", u.PromptTokens)
			add(m.Tokens, c.Provider, c.Model, "completion", u.CompletionTokens)
			add(m.Tokens, c.Provider, c.Model, "cached", u.CachedTokens)
			add(m.Tokens, c.Provider, c.Model, "reasoning", u.ReasoningTokens)
			add(m.Tokens, c.Provider, c.Model, "cache_write", u.CacheWriteTokens)
			if u.Consistency == "total_mismatch" {
				m.Inconsistent.WithLabelValues(c.Provider).Inc()
			}
		}
		if ci := c.Cost; ci != nil && ci.TotalCost != nil {
			f, _ := ci.TotalCost.Float64()
			m.Cost.WithLabelValues(ci.Currency).Add(f)
		} else if c.Unpriced() {
			m.Unpriced.WithLabelValues(c.Provider, c.Model).Inc()
		}
	}
}

// TestObserveStoredMatchesPerCall: the metrics of stored batches, summed per
// batch, are exactly those of counting call by call.
func TestObserveStoredMatchesPerCall(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	f := func(v float64) *float64 { return &v }
	d := func(s string) *decimal.Decimal { v := decimal.RequireFromString(s); return &v }
	var calls []record.Call
	for i := range 60 {
		c := record.Call{
			CallID: string(rune('a' + i)), Provider: []string{"openai", "anthropic", "deepseek"}[i%3],
			Model: []string{"gpt-4o", "gpt-4o-mini", ""}[i%3*(i%2)], ResponseEventID: "r",
			Status: []string{"success", "error", "abandoned", "success"}[i%4],
		}
		if i%5 != 0 {
			c.LatencyMS = f(float64(100 + 37*i))
		}
		if i%3 != 0 {
			c.TTFTMS = f(float64(10 + i))
		}
		switch i % 6 {
		case 0: // no usage
		case 1:
			c.Usage = &parse.Usage{UsageMissing: true}
		default:
			c.Usage = &parse.Usage{PromptTokens: n(int64(1000 + i)), CompletionTokens: n(int64(i % 7)), CachedTokens: n(int64(i % 4 * 100)),
				ReasoningTokens: n(int64(i % 2 * 50)), CacheWriteTokens: n(int64(i % 3)), Confidence: []float64{1, 0.9, 0.5}[i%3]}
			if i%4 == 0 {
				c.Usage.Consistency = "total_mismatch"
			}
		}
		switch i % 4 {
		case 0:
			c.Cost = &cost.Info{PricingSource: "default_config", Currency: []string{"USD", "CNY"}[i%8/4], TotalCost: d("0.25")}
		case 1:
			c.Cost = &cost.Info{PricingSource: "not_found"}
		}
		if i%10 == 9 {
			c.ResponseEventID = "" // a request alone: not counted
		}
		calls = append(calls, c)
	}
	gather := func(observe func(*Metrics, []record.Call)) string {
		reg := prometheus.NewRegistry()
		m := NewMetrics(reg)
		for i := 0; i < len(calls); i += 25 { // three batches
			observe(m, calls[i:min(i+25, len(calls))])
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		for _, mf := range mfs {
			if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
				t.Fatal(err)
			}
		}
		return b.String()
	}
	got, want := gather((*Metrics).observeStored), gather(observeEach)
	if got != want {
		t.Fatalf("metrics summed per batch differ from counting per call:\n got:\n%s\nwant:\n%s", got, want)
	}
	if !bytes.Contains([]byte(got), []byte(`harborai_tokens_total{model="gpt-4o",provider="anthropic",type="prompt"}`)) {
		t.Fatalf("the test's calls did not reach the token counters:\n%s", got)
	}
}
