package harborai_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
	"github.com/harborai/ingest/pkg/record"
)

// TestMoreRequestShapes: request shapes beyond each vendor's usual one,
// each checked in its stored call: Gemini streams without alt=sse, Azure's
// v1 API, a deployment priced by its served model, DeepSeek's
// Anthropic-compatible API, bodies sent as a pipe.
func TestMoreRequestShapes(t *testing.T) {
	p := startPipeline(t)
	emu := startEmulator(t)
	pub := connect(t, p.natsURL)
	target, _ := url.Parse(emu.URL())
	rw := &rewrite{base: baseTransport(t), target: target, prefix: emulatorPrefix}
	client := pub.HTTPClient(&http.Client{Transport: rw})
	usage := wantUsage.String()

	var checks []func(t *testing.T)
	expect := func(name string, f func(t *testing.T, got storedCall)) {
		checks = append(checks, func(t *testing.T) {
			t.Run(name, func(t *testing.T) {
				calls := lastStored[name]
				if len(calls) != 1 {
					t.Fatalf("stored %d calls, want 1", len(calls))
				}
				t.Log(describe(calls[0]))
				f(t, storedCall(calls[0]))
			})
		})
	}

	// 1. Gemini stream without alt=sse: one JSON array.
	{
		req := newPost(t, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?key=k",
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`)
		req.Header.Set(emulator.HeaderUsage, usage)
		req = tagCase(req, "gemini-array", harborai.CallInfo{})
		doPost(t, client, req)
		expect("gemini-array", func(t *testing.T, c storedCall) {
			c.want(t, "gemini", "gemini-2.0-flash", true, event.StatusSuccess)
			c.usage(t, 40, 12)
		})
	}
	// 2. Azure v1 API (/openai/v1/...), streamed: model from the body,
	// include_usage added without api-version.
	{
		rw2 := &rewrite{base: baseTransport(t), target: target, prefix: func(string) string { return "" }}
		c2 := pub.HTTPClient(&http.Client{Transport: rw2})
		req := newPost(t, "https://myres.openai.azure.com/openai/v1/chat/completions",
			`{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
		req.Header.Set(emulator.HeaderUsage, usage)
		req = tagCase(req, "azure-v1-stream", harborai.CallInfo{})
		doPost(t, c2, req)
		expect("azure-v1-stream", func(t *testing.T, c storedCall) {
			c.want(t, "azure", "gpt-4o-mini", true, event.StatusSuccess)
			c.usage(t, 40, 12)
		})
	}
	// 4. A body sent as written (io.Pipe: no GetBody, no length), ids
	// deferred: model and stream from the body; Gemini's from the path.
	{
		for _, tc := range []struct {
			name, u, body, provider, model string
			stream                         bool
		}{
			{"tee-openai", "https://api.openai.com/v1/chat/completions", `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`, "openai", "gpt-4o-mini", true},
			{"tee-gemini", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`, "gemini", "gemini-2.0-flash", true},
			{"tee-anthropic", "https://api.anthropic.com/v1/messages", `{"model":"claude-haiku-4-5-20251001","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, "anthropic", "claude-haiku-4-5-20251001", true},
		} {
			pr, pw := io.Pipe()
			go func() { _, _ = io.WriteString(pw, tc.body); _ = pw.Close() }()
			req, _ := http.NewRequest(http.MethodPost, tc.u, pr)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(emulator.HeaderUsage, usage)
			req = tagCase(req, tc.name, harborai.CallInfo{})
			doPost(t, client, req)
			tc := tc
			expect(tc.name, func(t *testing.T, c storedCall) {
				c.want(t, tc.provider, tc.model, tc.stream, event.StatusSuccess)
			})
		}
	}
	// 6. DeepSeek's Anthropic-compatible endpoint, streamed.
	{
		rw3 := &rewrite{base: baseTransport(t), target: target, prefix: func(string) string { return "" }}
		c6 := pub.HTTPClient(&http.Client{Transport: rw3})
		// api.deepseek.com/anthropic/v1/messages -> emulator /anthropic/v1/messages
		req := newPost(t, "https://api.deepseek.com/anthropic/v1/messages", `{"model":"deepseek-chat","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
		req.Header.Set(emulator.HeaderUsage, usage)
		req = tagCase(req, "deepseek-anthropic", harborai.CallInfo{})
		doPost(t, c6, req)
		expect("deepseek-anthropic", func(t *testing.T, c storedCall) {
			c.want(t, "deepseek", "deepseek-chat", true, event.StatusSuccess)
			c.usage(t, 40, 12)
		})
	}
	// 7. Azure deployment whose reply names the dated model: priced by it.
	{
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"id":"x","object":"chat.completion","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000000,"completion_tokens":0,"total_tokens":1000000}}`)
		}))
		t.Cleanup(srv.Close)
		st, _ := url.Parse(srv.URL)
		c7 := pub.HTTPClient(&http.Client{Transport: &rewrite{base: baseTransport(t), target: st}})
		req := newPost(t, "https://myres.openai.azure.com/openai/deployments/prod-chat/chat/completions?api-version=2024-10-21", `{"messages":[{"role":"user","content":"hi"}]}`)
		req = tagCase(req, "azure-served", harborai.CallInfo{})
		doPost(t, c7, req)
		expect("azure-served", func(t *testing.T, c storedCall) {
			c.want(t, "azure", "prod-chat", false, event.StatusSuccess)
			if c.ServedModel != "gpt-4o-mini-2024-07-18" || c.Cost == nil || c.Cost.TotalCost == nil || c.Cost.TotalCost.String() != "0.15" {
				t.Errorf("served %q cost %v", c.ServedModel, c.Cost)
			}
		})
	}

	lastStored = storedByCase(t, p, len(checks), 10*time.Second)
	for _, f := range checks {
		f(t)
	}
	_ = context.Background
	_ = fmt.Sprint
	_ = strings.Contains
}

var lastStored = map[string][]record.Call{}
