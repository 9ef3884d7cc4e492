package harborai_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// realHost is the vendor's own host for each emulator vendor, and the
// emulator's path prefix for it.
var realHost = map[string][2]string{
	"openai":           {"api.openai.com", "/openai"},
	"openai_responses": {"api.openai.com", "/openai"},
	"azure":            {"myres.openai.azure.com", "/azure"},
	"deepseek":         {"api.deepseek.com", "/deepseek"},
	"doubao":           {"ark.cn-beijing.volces.com", "/doubao"},
	"wenxin":           {"qianfan.baidubce.com", "/wenxin"},
	"wenxin_v1":        {"aip.baidubce.com", "/wenxin_v1"},
	"qwen":             {"dashscope.aliyuncs.com", "/qwen"},
	"qwen_native":      {"dashscope.aliyuncs.com", "/qwen"},
	"moonshot":         {"api.moonshot.cn", "/moonshot"},
	"zhipu":            {"open.bigmodel.cn", "/zhipu"},
	"anthropic":        {"api.anthropic.com", "/anthropic"},
	"gemini":           {"generativelanguage.googleapis.com", "/gemini"},
}

// toRealHost points req, built for the emulator, at the vendor's real URL.
func toRealHost(t *testing.T, emu *emulator.Server, vendor string, req *http.Request) {
	t.Helper()
	h := realHost[vendor]
	rest, ok := strings.CutPrefix(req.URL.String(), emu.URL()+h[1])
	if !ok {
		t.Fatalf("%s: %s not under %s", vendor, req.URL, emu.URL()+h[1])
	}
	u, err := url.Parse("https://" + h[0] + rest)
	if err != nil {
		t.Fatal(err)
	}
	req.URL, req.Host = u, u.Host
}

// realHostCase is one call of the vendor matrix, at the vendor's real host.
type realHostCase struct {
	name string
	vc   vendorCall
	fail string // the emulator's X-Emulator-Error; "" for none
}

// callRealHosts calls each vendor, stream and not, with each of fails, at
// its real host (the default vendor table, no WithBaseURL) through a
// Transport publishing to p, and returns the cases, each call tagged with
// its case's name. A call without a failure must answer 200.
func callRealHosts(t *testing.T, p *pipeline, fails ...string) []realHostCase {
	t.Helper()
	emu := startEmulator(t)
	pub := connect(t, p.natsURL)
	target, _ := url.Parse(emu.URL())
	client := pub.HTTPClient(&http.Client{Transport: &rewrite{base: baseTransport(t), target: target, prefix: emulatorPrefix}})
	var cases []realHostCase
	for _, v := range emulator.Vendors() {
		for _, stream := range []bool{false, true} {
			for _, fail := range fails {
				name := v
				if stream {
					name += "/stream"
				}
				if fail != "" {
					name += "/" + fail
				}
				cases = append(cases, realHostCase{name, vendorCall{vendor: v, model: models[v], stream: stream}, fail})
			}
		}
	}
	for _, c := range cases {
		req := c.vc.request(t, context.Background(), emu, "real host "+c.name)
		toRealHost(t, emu, c.vc.vendor, req)
		q := req.URL.Query()
		switch c.vc.vendor {
		case "azure":
			q.Set("api-version", "2024-10-21")
		case "gemini":
			q.Set("key", secret)
		}
		req.URL.RawQuery = q.Encode()
		req.Header.Set(emulator.HeaderUsage, wantUsage.String())
		if c.fail != "" {
			req.Header.Set("X-Emulator-Error", c.fail)
		}
		req = tagCase(req, c.name, harborai.CallInfo{})
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: Do() = %v", c.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if c.fail == "" && resp.StatusCode != 200 {
			t.Fatalf("%s: HTTP %d %s", c.name, resp.StatusCode, b)
		}
	}
	return cases
}

// TestEveryVendorAtItsRealHost calls every vendor at its real host (the
// default vendor table, no WithBaseURL), without WithOnCall or a tracer,
// i.e. the deferred-ids path an application gets by default, and checks the
// stored call.
func TestEveryVendorAtItsRealHost(t *testing.T) {
	p := startPipeline(t)
	cases := callRealHosts(t, p, "")
	stored := storedByCase(t, p, len(cases), 10*time.Second)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls := stored[c.name]
			if len(calls) != 1 {
				t.Fatalf("stored %d calls, want 1", len(calls))
			}
			got := calls[0]
			t.Log(describe(got))
			if got.Provider != providerOf(c.vc.vendor) || got.Model != c.vc.model || got.Stream != c.vc.stream || got.Status != event.StatusSuccess {
				t.Errorf("provider, model, stream, status = %s, %s, %v, %s, want %s, %s, %v, success",
					got.Provider, got.Model, got.Stream, got.Status, providerOf(c.vc.vendor), c.vc.model, c.vc.stream)
			}
			if strings.Contains(got.Endpoint, secret) || !strings.Contains(got.Endpoint, realHost[c.vc.vendor][0]) {
				t.Errorf("endpoint %q", got.Endpoint)
			}
			if !strings.HasPrefix(got.HBTraceID, "hb_") || len(got.TraceID) != 32 || len(got.SpanID) != 16 {
				t.Errorf("ids %q %q %q", got.HBTraceID, got.TraceID, got.SpanID)
			}
			checkUsage(t, c.vc.vendor, got)
		})
	}
}
