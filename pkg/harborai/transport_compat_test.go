package harborai_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// TestCompatibleBaseStreamHasUsage: a self-hosted or gateway server given
// with WithBaseURL as "openai", "openai_compatible" or a name pkg/parse
// does not know is OpenAI-compatible: its streamed chat completions get
// stream_options.include_usage, and the stored call its usage.
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
