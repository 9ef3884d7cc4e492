package ingest_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/record"
)

func newPricer(t *testing.T, env map[string]string) *cost.Pricer {
	t.Helper()
	p, err := cost.NewPricer(cost.Options{Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatalf("NewPricer() = %v", err)
	}
	return p
}

func baseEvent(kind event.Kind) *event.Event {
	start := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	first := start.Add(200 * time.Millisecond)
	ev := &event.Event{SchemaVersion: 1, Kind: kind, EventID: "ev-1", CallID: "call-1", Provider: "deepseek", Model: "deepseek-chat", StartedAt: start}
	if kind != event.KindResponse {
		ev.Request = &event.Request{Body: `{"model":"deepseek-chat"}`}
	}
	if kind != event.KindRequest {
		ev.Response = &event.Response{Status: event.StatusSuccess, HTTPStatus: 200, FinishedAt: start.Add(1200 * time.Millisecond), FirstByteAt: &first,
			Body: `{"model":"deepseek-chat","choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500}}`}
	}
	return ev
}

func TestBuild(t *testing.T) {
	userEnv := map[string]string{"DEEPSEEK_INPUT_PRICE": "0.002", "DEEPSEEK_OUTPUT_PRICE": "0.003", "COST_CURRENCY": "CNY"}
	cases := []struct {
		name  string
		ev    func() *event.Event
		opts  ingest.BuildOptions
		check func(t *testing.T, c record.Call)
	}{
		{"request only is pending", func() *event.Event { return baseEvent(event.KindRequest) }, ingest.BuildOptions{KeepBodies: true},
			func(t *testing.T, c record.Call) {
				if c.DisplayStatus() != record.StatusPending || c.Usage != nil || c.RequestBody == nil || c.HasResponse() {
					t.Errorf("Build(request) = status %q usage %v body %v, want pending, no usage, a body", c.DisplayStatus(), c.Usage, c.RequestBody)
				}
			}},
		{"the user's DeepSeek case", func() *event.Event { return baseEvent(event.KindResponse) }, ingest.BuildOptions{},
			func(t *testing.T, c record.Call) {
				ci := c.Cost
				if ci == nil || ci.InputCost.String() != "0.002" || ci.OutputCost.String() != "0.0015" || ci.TotalCost.String() != "0.0035" ||
					ci.Currency != "CNY" || ci.PricingSource != cost.SourceEnvironmentVariable {
					t.Errorf("Build().Cost = %+v, want 0.002 + 0.0015 = 0.0035 CNY from environment_variable", ci)
				}
				if c.ResponseBody != nil {
					t.Errorf("Build() kept the body with KeepBodies false")
				}
			}},
		{"timings", func() *event.Event { return baseEvent(event.KindCall) }, ingest.BuildOptions{},
			func(t *testing.T, c record.Call) {
				if *c.LatencyMS != 1200 || *c.TTFTMS != 200 || *c.TokensPerSecond != 500 {
					t.Errorf("Build() latency %v ttft %v tps %v, want 1200, 200, 500", *c.LatencyMS, *c.TTFTMS, *c.TokensPerSecond)
				}
			}},
		{"vendor error with HTTP 200", func() *event.Event {
			ev := baseEvent(event.KindResponse)
			ev.Provider, ev.Model = "wenxin", "ernie-4.0-8k"
			ev.Response.Body = `{"error_code":336003,"error_msg":"the max length of current question is 4800"}`
			return ev
		}, ingest.BuildOptions{},
			func(t *testing.T, c record.Call) {
				if c.Status != event.StatusError || c.ErrorType != "vendor_error" || c.ErrorMessage == "" {
					t.Errorf("Build() = status %q type %q msg %q, want error/vendor_error with the message", c.Status, c.ErrorType, c.ErrorMessage)
				}
			}},
		{"vendor error in a stream the application then closed", func() *event.Event {
			ev := baseEvent(event.KindResponse)
			ev.Provider, ev.Model, ev.Stream = "anthropic", "claude-haiku-4-5", true
			ev.Response.Status = event.StatusAbandoned
			ev.Response.Body = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude-haiku-4-5\",\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}\n\n" +
				"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
			return ev
		}, ingest.BuildOptions{},
			func(t *testing.T, c record.Call) {
				if c.Status != event.StatusError || c.ErrorType != "vendor_error" || c.ErrorMessage != "Overloaded" {
					t.Errorf("Build() = status %q type %q msg %q, want error/vendor_error/Overloaded", c.Status, c.ErrorType, c.ErrorMessage)
				}
			}},
		{"a stream closed early without an error stays abandoned", func() *event.Event {
			ev := baseEvent(event.KindResponse)
			ev.Provider, ev.Model, ev.Stream = "openai", "gpt-4o-mini", true
			ev.Response.Status = event.StatusAbandoned
			ev.Response.Body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n"
			return ev
		}, ingest.BuildOptions{},
			func(t *testing.T, c record.Call) {
				if c.Status != event.StatusAbandoned || c.ErrorType != "" {
					t.Errorf("Build() = status %q type %q, want abandoned", c.Status, c.ErrorType)
				}
			}},
		{"transport error has no usage and no cost", func() *event.Event {
			ev := baseEvent(event.KindResponse)
			ev.Response = &event.Response{Status: event.StatusError, FinishedAt: ev.StartedAt.Add(time.Second), ErrorType: "transport", ErrorMessage: "connection reset"}
			return ev
		}, ingest.BuildOptions{},
			func(t *testing.T, c record.Call) {
				if !c.Usage.UsageMissing || c.Cost.TotalCost != nil || c.Status != event.StatusError {
					t.Errorf("Build() usage %+v cost %+v status %q, want missing, nil, error", c.Usage, c.Cost, c.Status)
				}
			}},
		{"custom pricing prices this call", func() *event.Event {
			ev := baseEvent(event.KindResponse)
			ev.CustomPricing = &event.CustomPricing{InputPrice: json.Number("0.00015"), OutputPrice: json.Number("0.0003"), Currency: "CNY"}
			return ev
		}, ingest.BuildOptions{},
			func(t *testing.T, c record.Call) {
				if c.Cost.PricingSource != cost.SourceAPIParameter || c.Cost.TotalCost.String() != "0.0003" {
					t.Errorf("Build().Cost = %v from %s, want 0.0003 from api_parameter", c.Cost.TotalCost, c.Cost.PricingSource)
				}
			}},
		{"an Azure deployment name is priced by the model that served the call", func() *event.Event {
			ev := baseEvent(event.KindResponse)
			ev.Provider, ev.Model = "azure", "prod-chat" // the deployment, named by the app
			ev.Response.Body = `{"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500}}`
			return ev
		}, ingest.BuildOptions{},
			func(t *testing.T, c record.Call) {
				// Azure gpt-4o, global: 2.5 and 10 USD per 1M tokens.
				if c.Cost.PricingSource != cost.SourceDefaultConfig || c.Cost.TotalCost == nil || c.Cost.TotalCost.String() != "0.0075" || c.Cost.Currency != "USD" {
					t.Errorf("Build().Cost = %v %s from %s, want 0.0075 USD from the built-in table", c.Cost.TotalCost, c.Cost.Currency, c.Cost.PricingSource)
				}
				if c.Model != "prod-chat" || c.ServedModel != "gpt-4o-2024-08-06" {
					t.Errorf("Build() model %q served %q, want the deployment and the served model kept", c.Model, c.ServedModel)
				}
			}},
		{"a priced requested model wins over the served one", func() *event.Event {
			ev := baseEvent(event.KindResponse)
			ev.Provider, ev.Model = "openai", "gpt-4o-mini"
			ev.Response.Body = `{"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500}}`
			return ev
		}, ingest.BuildOptions{},
			func(t *testing.T, c record.Call) {
				// gpt-4o-mini: 0.15 and 0.6 USD per 1M tokens.
				if c.Cost.TotalCost == nil || c.Cost.TotalCost.String() != "0.00045" {
					t.Errorf("Build().Cost = %v from %s, want 0.00045 (gpt-4o-mini's prices)", c.Cost.TotalCost, c.Cost.PricingSource)
				}
			}},
		{"ids derived when absent, environment defaulted", func() *event.Event { return baseEvent(event.KindCall) }, ingest.BuildOptions{Environment: "staging"},
			func(t *testing.T, c record.Call) {
				if !event.ValidHBTraceID(c.HBTraceID) || !event.ValidTraceID(c.TraceID) || !event.ValidSpanID(c.SpanID) || c.Tags.Environment != "staging" {
					t.Errorf("Build() ids %q %q %q env %q, want derived ids and staging", c.HBTraceID, c.TraceID, c.SpanID, c.Tags.Environment)
				}
			}},
	}
	p := newPricer(t, userEnv)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, ingest.Build(tc.ev(), p, tc.opts))
		})
	}
}

// TestBuildIsDeterministic: the same event always builds the same fragment,
// which is what lets redeliveries converge.
func TestBuildIsDeterministic(t *testing.T) {
	p := newPricer(t, nil)
	a, _ := json.Marshal(ingest.Build(baseEvent(event.KindCall), p, ingest.BuildOptions{KeepBodies: true}))
	b, _ := json.Marshal(ingest.Build(baseEvent(event.KindCall), p, ingest.BuildOptions{KeepBodies: true}))
	if string(a) != string(b) {
		t.Fatalf("Build() differs between runs:\n%s\n%s", a, b)
	}
}
