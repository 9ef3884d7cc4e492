package harborai_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// TestTransportSpans checks each recorded call gets a CLIENT span per the
// GenAI semantic conventions, from the application's TracerProvider, as a
// child of the application's span, and that the call's events carry the
// span's ids.
func TestTransportSpans(t *testing.T) {
	checkLeaks(t)
	srv := startBroker(t)
	emu := startEmulator(t)
	published := subscribe(t, srv.ClientURL())
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	pub := connect(t, srv.ClientURL(), harborai.WithTracerProvider(tp))
	var ids idsOf
	client := pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, append(emulatorBases(emu), harborai.WithOnCall(ids.hook))...)
	app := tp.Tracer("app")

	tests := []struct {
		name, vendor string
		stream       bool
		headers      map[string]string
		wantAttrs    map[attribute.Key]attribute.Value
		wantError    string // the span's error.type; "" = status unset
	}{
		{
			name: "openai stream", vendor: "openai", stream: true,
			wantAttrs: map[attribute.Key]attribute.Value{
				"gen_ai.operation.name":                attribute.StringValue("chat"),
				"gen_ai.provider.name":                 attribute.StringValue("openai"),
				"gen_ai.request.model":                 attribute.StringValue("gpt-4o-mini"),
				"gen_ai.response.model":                attribute.StringValue("gpt-4o-mini"),
				"gen_ai.request.stream":                attribute.BoolValue(true),
				"gen_ai.usage.input_tokens":            attribute.Int64Value(40),
				"gen_ai.usage.output_tokens":           attribute.Int64Value(12),
				"gen_ai.usage.cache_read.input_tokens": attribute.Int64Value(8),
				"gen_ai.usage.reasoning.output_tokens": attribute.Int64Value(3),
				"http.response.status_code":            attribute.IntValue(200),
				"harborai.status":                      attribute.StringValue("success"),
			},
		},
		{
			name: "anthropic", vendor: "anthropic",
			wantAttrs: map[attribute.Key]attribute.Value{
				"gen_ai.provider.name":       attribute.StringValue("anthropic"),
				"gen_ai.usage.input_tokens":  attribute.Int64Value(40),
				"gen_ai.usage.output_tokens": attribute.Int64Value(12),
			},
		},
		{
			name: "azure", vendor: "azure",
			wantAttrs: map[attribute.Key]attribute.Value{
				"gen_ai.provider.name": attribute.StringValue("azure.ai.openai"),
				"gen_ai.request.model": attribute.StringValue("gpt-4o-deploy"),
			},
		},
		{
			name: "rate limited", vendor: "deepseek",
			headers:   map[string]string{emulator.HeaderError: "rate_limit"},
			wantAttrs: map[attribute.Key]attribute.Value{"http.response.status_code": attribute.IntValue(429)},
			wantError: "429",
		},
		{
			name: "vendor error in 200", vendor: "wenxin_v1",
			headers:   map[string]string{emulator.HeaderError: "server"},
			wantError: "vendor_error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec.Reset()
			ctx, parent := app.Start(context.Background(), "handle request")
			vc := vendorCall{vendor: tt.vendor, model: models[tt.vendor], stream: tt.stream}
			req := vc.request(t, ctx, emu, tt.name)
			req.Header.Set("X-Test-Case", tt.name)
			req.Header.Set(emulator.HeaderUsage, wantUsage.String())
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("Do() = %v", err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			parent.End()

			var span sdktrace.ReadOnlySpan
			for _, s := range rec.Ended() {
				if s.SpanKind() == trace.SpanKindClient {
					span = s
				}
			}
			if span == nil {
				t.Fatalf("no CLIENT span among %d ended spans", len(rec.Ended()))
			}
			if want := "chat " + models[tt.vendor]; span.Name() != want {
				t.Errorf("span name = %q, want %q", span.Name(), want)
			}
			if span.Parent().SpanID() != parent.SpanContext().SpanID() || span.SpanContext().TraceID() != parent.SpanContext().TraceID() {
				t.Errorf("span parent = %v, want the application's span %v", span.Parent(), parent.SpanContext())
			}
			attrs := map[attribute.Key]attribute.Value{}
			for _, kv := range span.Attributes() {
				attrs[kv.Key] = kv.Value
			}
			for k, want := range tt.wantAttrs {
				if got, ok := attrs[k]; !ok || got != want {
					t.Errorf("attribute %s = %v, want %v", k, got.String(), want.String())
				}
			}
			gotErr := attrs["error.type"].AsString()
			if gotErr != tt.wantError || (tt.wantError != "") != (span.Status().Code == codes.Error) {
				t.Errorf("error.type, status = %q, %v, want %q", gotErr, span.Status(), tt.wantError)
			}

			want, _ := ids.get(tt.name)
			if want[2] != span.SpanContext().TraceID().String() || want[3] != span.SpanContext().SpanID().String() {
				t.Errorf("call trace, span ids = %s, %s, want the span's %s, %s", want[2], want[3], span.SpanContext().TraceID(), span.SpanContext().SpanID())
			}
			if attrs["harborai.call_id"].AsString() != want[0] || attrs["harborai.hb_trace_id"].AsString() != want[1] {
				t.Errorf("span's call id, hb_trace_id = %v, %v, want %s, %s", attrs["harborai.call_id"].String(), attrs["harborai.hb_trace_id"].String(), want[0], want[1])
			}
			waitFor(t, 10*time.Second, "the call's two events", func() (bool, string) {
				n := 0
				for _, m := range published() {
					ev, err := event.Decode(m, 0)
					if err != nil || ev.CallID != want[0] {
						continue
					}
					n++
					if ev.TraceID != want[2] || ev.SpanID != want[3] || ev.ParentSpanID != parent.SpanContext().SpanID().String() {
						t.Fatalf("%s event ids trace %s span %s parent %s, want %s %s %s", ev.Kind, ev.TraceID, ev.SpanID, ev.ParentSpanID, want[2], want[3], parent.SpanContext().SpanID())
					}
				}
				return n == 2, "events seen"
			})
		})
	}
}

// TestSpanServerPort: the span names the port the call went to, also when
// the URL names none, as the vendors' own do (https://api.openai.com): the
// GenAI conventions require server.port with server.address.
func TestSpanServerPort(t *testing.T) {
	srv := startBroker(t)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	pub := connect(t, srv.ClientURL(), harborai.WithTracerProvider(tp))
	vendor := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		body := `{"id":"x","object":"chat.completion","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req}, nil
	})
	client := pub.HTTPClient(&http.Client{Transport: vendor})
	for _, tt := range []struct {
		url     string
		address string
		port    int64
	}{
		{"https://api.openai.com/v1/chat/completions", "api.openai.com", 443},
		{"https://api.openai.com:8443/v1/chat/completions", "api.openai.com", 8443},
		{"http://api.openai.com/v1/chat/completions", "api.openai.com", 80},
	} {
		rec.Reset()
		req, err := http.NewRequest(http.MethodPost, tt.url, strings.NewReader(`{"model":"gpt-4o-mini","messages":[]}`))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.url, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		spans := rec.Ended()
		if len(spans) != 1 {
			t.Fatalf("%s: %d spans ended, want 1", tt.url, len(spans))
		}
		attrs := map[attribute.Key]attribute.Value{}
		for _, kv := range spans[0].Attributes() {
			attrs[kv.Key] = kv.Value
		}
		if attrs["server.address"].AsString() != tt.address || attrs["server.port"].AsInt64() != tt.port {
			t.Errorf("%s: server.address, server.port = %q, %v; want %q, %d", tt.url,
				attrs["server.address"].AsString(), attrs["server.port"].String(), tt.address, tt.port)
		}
	}
}

// TestSpanOfABodySentAsWritten: a request body with no GetBody and no
// length (a pipe) is copied as it is sent, so its model and stream flag are
// known only once it was read; the span, started before, gets them then:
// its name "{operation} {model}", gen_ai.request.model and
// gen_ai.request.stream, and the stream's time to first chunk, as the
// call's events record them.
func TestSpanOfABodySentAsWritten(t *testing.T) {
	srv := startBroker(t)
	emu := startEmulator(t)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	pub := connect(t, srv.ClientURL(), harborai.WithTracerProvider(tp))
	client := pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, emulatorBases(emu)...)
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
		_ = pw.Close()
	}()
	req, err := http.NewRequest(http.MethodPost, emu.Endpoint("openai", "gpt-4o-mini", true), pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans ended, want 1", len(spans))
	}
	s := spans[0]
	attrs := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		attrs[kv.Key] = kv.Value
	}
	if s.Name() != "chat gpt-4o-mini" {
		t.Errorf("span name %q, want %q", s.Name(), "chat gpt-4o-mini")
	}
	if got := attrs["gen_ai.request.model"].AsString(); got != "gpt-4o-mini" {
		t.Errorf("gen_ai.request.model %q, want gpt-4o-mini", got)
	}
	if !attrs["gen_ai.request.stream"].AsBool() {
		t.Errorf("gen_ai.request.stream not set for a stream")
	}
	if _, ok := attrs["gen_ai.response.time_to_first_chunk"]; !ok {
		t.Errorf("gen_ai.response.time_to_first_chunk not set for a stream")
	}
}
