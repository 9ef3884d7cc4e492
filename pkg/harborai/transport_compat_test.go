package harborai_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// TestCompatibleBaseStreamHasUsage: a self-hosted or gateway server given
// with WithBaseURL as "openai" or "openai_compatible" is OpenAI-compatible:
// its streamed chat completions get stream_options.include_usage, and the
// stored call its usage. Under a name pkg/parse does not know, the request
// is sent as written (a server that refuses unknown fields would fail it):
// the call is stored, without usage.
func TestCompatibleBaseStreamHasUsage(t *testing.T) {
	p := startPipeline(t)
	emu := startEmulator(t)
	pub := connect(t, p.natsURL)
	for _, provider := range []string{"openai", "openai_compatible", "my-gateway"} {
		client := pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, harborai.WithBaseURL(provider, emu.BaseURL("openai")))
		req := newPost(t, emu.BaseURL("openai")+"/chat/completions",
			`{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
		req.Header.Set(emulator.HeaderUsage, wantUsage.String())
		req = tagCase(req, provider, harborai.CallInfo{})
		if code, b := doPost(t, client, req); code != 200 {
			t.Fatalf("HTTP %d %s", code, b)
		}
	}
	stored := storedByCase(t, p, 3, 5*time.Second)
	for _, provider := range []string{"openai", "openai_compatible", "my-gateway"} {
		t.Run(provider, func(t *testing.T) {
			calls := stored[provider]
			if len(calls) != 1 {
				t.Fatalf("stored %d calls", len(calls))
			}
			c := storedCall(calls[0])
			t.Log(describe(calls[0]))
			if c.Status != event.StatusSuccess || !c.Stream {
				t.Errorf("status %s stream %v", c.Status, c.Stream)
			}
			if provider == "my-gateway" {
				if c.Usage != nil && !c.Usage.UsageMissing {
					t.Errorf("usage %+v: the request was rewritten", *c.Usage)
				}
				return
			}
			c.usage(t, 40, 12)
		})
	}
}

// TestCallInfoProviderAlias: a provider alias given with
// ContextWithCallInfo ("Kimi") is stored under its vendor's name
// ("moonshot"), as WithBaseURL("kimi", ...) and the vendor table store it:
// filters and per-provider statistics see one vendor.
func TestCallInfoProviderAlias(t *testing.T) {
	p := startPipeline(t)
	emu := startEmulator(t)
	pub := connect(t, p.natsURL)
	client := pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, harborai.WithBaseURL("kimi", emu.BaseURL("moonshot")))
	for _, name := range []string{"detected", "overridden"} {
		req := newPost(t, emu.BaseURL("moonshot")+"/chat/completions", `{"model":"kimi-k2-0905-preview","messages":[{"role":"user","content":"hi"}]}`)
		info := harborai.CallInfo{}
		if name == "overridden" {
			info.Provider = "Kimi"
		}
		req = tagCase(req, name, info)
		doPost(t, client, req)
	}
	stored := storedByCase(t, p, 2, 5*time.Second)
	if len(stored["detected"]) != 1 || len(stored["overridden"]) != 1 {
		t.Fatalf("stored %v", stored)
	}
	d, o := stored["detected"][0], stored["overridden"][0]
	if d.Provider != o.Provider {
		t.Errorf("same vendor stored as provider %q (WithBaseURL(\"kimi\")) and %q (ContextWithCallInfo Provider \"Kimi\")", d.Provider, o.Provider)
	}
}

// TestStrictServerNotRewritten: Mistral's API (and servers
// with pydantic's extra="forbid") answer stream_options with 422. Before
// 55c86ce a WithBaseURL under a name other than a known vendor's sent the
// body as written; now every name but exactly "mistral" gets
// stream_options added, and the application's stream fails.
func TestStrictServerNotRewritten(t *testing.T) {
	srv := startBroker(t)
	pub := connect(t, srv.ClientURL())
	strict := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(req.Body)
		status, body := 200, "data: {\"choices\":[]}\n\ndata: [DONE]\n\n"
		if strings.Contains(string(b), "stream_options") {
			status, body = 422, `{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","stream_options","include_usage"],"msg":"Extra inputs are not permitted"}]}}`
		}
		return &http.Response{StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: io.NopCloser(strings.NewReader(body)), ContentLength: -1, Request: req}, nil
	})
	for _, tt := range []struct{ name, base string }{
		{"mistralai", "https://api.mistral.ai/v1"}, {"Mistral AI", "https://api.mistral.ai/v1"},
		{"openai_compatible", "https://api.mistral.ai/v1"}, {"my-gateway", "https://api.mistral.ai/v1"},
		{"openai", "https://api.mistral.ai/v1"}, {"openai_compatible", "https://api.mistral.ai./v1"},
		{"openai_compatible", "https://gateway.ai.cloudflare.com/v1/acct/gw/mistral"}, // Cloudflare's AI Gateway
	} {
		name := tt.name
		client := pub.HTTPClient(&http.Client{Transport: strict}, harborai.WithBaseURL(name, tt.base))
		resp, err := client.Post(tt.base+"/chat/completions", "application/json",
			strings.NewReader(`{"model":"mistral-large-latest","messages":[{"role":"user","content":"hi"}],"stream":true}`))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("WithBaseURL(%q, mistral): the application's stream got HTTP %d: the Transport added stream_options", name, resp.StatusCode)
		}
	}
}

// TestGatewayUsageChunkReachesTheApplication: OpenRouter ends every stream
// with a usage chunk, asked for or not (stream_options has no effect
// there), with empty choices or none. The Transport leaves its requests alone, so the application reads
// the chunk it would have read without the Transport.
func TestGatewayUsageChunkReachesTheApplication(t *testing.T) {
	srv := startBroker(t)
	pub := connect(t, srv.ClientURL())
	const stream = "data: {\"id\":\"g1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n" +
		"data: {\"id\":\"g1\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":1,\"total_tokens\":10,\"cost\":0.0001}}\n\n" +
		"data: {\"id\":\"g1\",\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":1,\"total_tokens\":10}}\n\n" +
		"data: [DONE]\n\n"
	const body = `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true}`
	gateway := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(req.Body)
		if string(b) != body {
			t.Errorf("the gateway got %s, want the application's body %s", b, body)
		}
		return &http.Response{StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: io.NopCloser(strings.NewReader(stream)), ContentLength: -1, Request: req}, nil
	})
	for _, tt := range []struct{ name, base string }{
		{"openai_compatible", "https://openrouter.ai/api/v1"}, {"openrouter", "https://openrouter.ai/api/v1"},
		{"openai_compatible", "https://OpenRouter.ai./api/v1"},
		// Behind a gateway: Cloudflare's AI Gateway, Helicone.
		{"openai_compatible", "https://gateway.ai.cloudflare.com/v1/acct/gw/openrouter"},
		{"openai_compatible", "https://openrouter.helicone.ai/api/v1"},
	} {
		client := pub.HTTPClient(&http.Client{Transport: gateway}, harborai.WithBaseURL(tt.name, tt.base))
		resp, err := client.Post(tt.base+"/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil || string(got) != stream {
			t.Errorf("WithBaseURL(%q, %q): the application read %q, %v; want the gateway's stream %q", tt.name, tt.base, got, err, stream)
		}
	}
}
