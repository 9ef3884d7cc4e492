package harborai_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

const plainChat = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`

func doPost(t *testing.T, client *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("Do(%s) = %v", req.URL, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

func newPost(t *testing.T, u, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

// TestBaseURLHostInAnyCase: a base URL whose host has upper-case letters
// and a port, or that is called in another case than it was given (host
// names are case-insensitive), or with the scheme's default port written
// out, is recognised.
func TestBaseURLHostInAnyCase(t *testing.T) {
	p := startPipeline(t)
	emu := startEmulator(t)
	pub := connect(t, p.natsURL)
	target, _ := url.Parse(emu.URL())
	base := &rewrite{base: baseTransport(t), target: target, prefix: func(string) string { return "/openai" }}

	for _, tc := range []struct{ name, configured, called string }{
		{"same spelling", "http://GW.Example.com:8443/v1", "http://GW.Example.com:8443/v1"},
		{"configured lower, called upper", "http://gw.example.com:8443/v1", "http://GW.EXAMPLE.COM:8443/v1"},
		{"control: lower both", "http://gw.example.com:8443/v1", "http://gw.example.com:8443/v1"},
		{"default port given", "http://gw.example.com:80/v1", "http://GW.example.com/v1"},
		{"default port called", "http://gw.example.com/v1", "http://gw.example.com:80/v1"},
	} {
		client := pub.HTTPClient(&http.Client{Transport: base}, harborai.WithBaseURL("openai", tc.configured))
		req := tagCase(newPost(t, tc.called+"/chat/completions", plainChat), tc.name, harborai.CallInfo{})
		if code, b := doPost(t, client, req); code != 200 {
			t.Fatalf("%s: HTTP %d %s", tc.name, code, b)
		}
	}
	stored := storedByCase(t, p, 5, 3*time.Second)
	for _, name := range []string{"same spelling", "configured lower, called upper", "control: lower both", "default port given", "default port called"} {
		if n := len(stored[name]); n != 1 {
			t.Errorf("%s: stored %d calls, want 1 (the call went to the configured base URL)", name, n)
		}
	}
}

// TestRedirectHopIsAnError: a 307 redirect that http.Client follows is
// recorded per hop (docs/client.md): the hop, which brought no completion,
// as an error of type http_307 without usage; the call it led to as a
// success with its usage.
func TestRedirectHopIsAnError(t *testing.T) {
	p := startPipeline(t)
	emu := startEmulator(t)
	pub := connect(t, p.natsURL)
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, emu.BaseURL("openai")+"/chat/completions", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redir.Close)
	client := pub.HTTPClient(&http.Client{Transport: baseTransport(t)},
		harborai.WithBaseURL("openai", redir.URL+"/v1"), harborai.WithBaseURL("openai", emu.BaseURL("openai")))
	req := tagCase(newPost(t, redir.URL+"/v1/chat/completions", plainChat), "redirected", harborai.CallInfo{})
	if code, b := doPost(t, client, req); code != 200 {
		t.Fatalf("HTTP %d %s", code, b)
	}
	calls := storedByCase(t, p, 2, 5*time.Second)["redirected"]
	if len(calls) != 2 {
		t.Fatalf("stored %d calls, want 2 (one per hop)", len(calls))
	}
	var hops []string
	for _, c := range calls {
		hops = append(hops, fmt.Sprintf("%v %s %s usage=%v", derefInt(c.HTTPStatus), c.Status, c.ErrorType, c.Usage != nil && !c.Usage.UsageMissing))
	}
	slices.Sort(hops)
	if want := []string{"200 success  usage=true", "307 error http_307 usage=false"}; !slices.Equal(hops, want) {
		t.Errorf("hops %q, want %q", hops, want)
	}
}

// Requests to vendor hosts that are not LLM calls pass through unrecorded.
func TestNonLLMCallsAtVendorHostsNotRecorded(t *testing.T) {
	p := startPipeline(t)
	pub := connect(t, p.natsURL)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"input_tokens":5,"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`)
	}))
	t.Cleanup(srv.Close)
	target, _ := url.Parse(srv.URL)
	client := pub.HTTPClient(&http.Client{Transport: &rewrite{base: baseTransport(t), target: target}})
	for _, tc := range []struct{ method, u string }{
		{"GET", "https://api.openai.com/v1/models"},
		{"GET", "https://api.openai.com/v1/chat/completions"},
		{"POST", "https://api.openai.com/v1/files"},
		{"POST", "https://api.openai.com/v1/chat/completions/chatcmpl-1"},
		{"POST", "https://api.openai.com/v1/responses/resp_1/cancel"},
		{"POST", "https://api.anthropic.com/v1/messages/count_tokens"},
		{"POST", "https://api.anthropic.com/v1/messages/batches"},
		{"POST", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:countTokens"},
		{"POST", "https://aip.baidubce.com/oauth/2.0/token"},
		{"POST", "https://aip.baidubce.com/rest/2.0/ocr/v1/general_basic"},
		{"GET", "https://dashscope.aliyuncs.com/api/v1/tasks/abc"},
	} {
		req, _ := http.NewRequest(tc.method, tc.u, strings.NewReader(`{}`))
		if tc.method == "GET" {
			req.Body, req.ContentLength = http.NoBody, 0
		}
		req = tagCase(req, tc.method+" "+tc.u, harborai.CallInfo{})
		doPost(t, client, req)
	}
	// A real call last, to know the ingestor caught up.
	req := tagCase(newPost(t, "https://api.openai.com/v1/chat/completions", plainChat), "sentinel", harborai.CallInfo{})
	doPost(t, client, req)
	stored := storedByCase(t, p, 1, 5*time.Second)
	for name, calls := range stored {
		if name != "sentinel" {
			t.Errorf("%s: recorded as an LLM call: %s", name, describe(calls[0]))
		}
	}
}

// HTTP errors with the vendor's JSON error bodies, stream and not, each
// vendor: stored as errors with their HTTP status, no cost.
func TestHTTPErrorsOfEveryVendor(t *testing.T) {
	p := startPipeline(t)
	emu := startEmulator(t)
	pub := connect(t, p.natsURL)
	client := pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, emulatorBases(emu)...)
	type want struct {
		name   string
		status string
		http   int
	}
	var wants []want
	for _, v := range emulator.Vendors() {
		for _, stream := range []bool{false, true} {
			for _, kind := range []string{"rate_limit", "server", "http200"} {
				name := fmt.Sprintf("%s/%v/%s", v, stream, kind)
				req := vendorCall{vendor: v, model: models[v], stream: stream}.request(t, context.Background(), emu, name)
				req.Header.Set("X-Emulator-Error", kind)
				req = tagCase(req, name, harborai.CallInfo{})
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				wants = append(wants, want{name, event.StatusError, resp.StatusCode})
			}
		}
	}
	stored := storedByCase(t, p, len(wants), 10*time.Second)
	for _, w := range wants {
		calls := stored[w.name]
		if len(calls) != 1 {
			t.Errorf("%s: stored %d calls", w.name, len(calls))
			continue
		}
		c := calls[0]
		bad := c.Status != w.status || c.HTTPStatus == nil || *c.HTTPStatus != w.http || c.ErrorType == "" ||
			(c.Cost != nil && c.Cost.TotalCost != nil && !c.Cost.TotalCost.IsZero())
		if bad {
			t.Errorf("%s: %s", w.name, describe(c))
		}
	}
}

var _ = bytes.NewReader

// TestNotModifiedIsNoError: a 304 is no redirect hop: recorded as
// before (success), not as an error http_304.
func TestNotModifiedIsNoError(t *testing.T) {
	srv := startBroker(t)
	seen := subscribe(t, srv.ClientURL())
	pub := connect(t, srv.ClientURL())
	base := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		_, _ = io.Copy(io.Discard, req.Body)
		return &http.Response{StatusCode: 304, Status: "304 Not Modified", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Body: http.NoBody, Request: req}, nil
	})
	client := pub.HTTPClient(&http.Client{Transport: base})
	resp, err := client.Post("https://api.openai.com/v1/chat/completions", "application/json", strings.NewReader(plainChat))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	for _, ev := range publishedEvents(t, seen, 2) {
		if ev.Response != nil && ev.Response.Status != event.StatusSuccess {
			t.Errorf("304 recorded as %s %s", ev.Response.Status, ev.Response.ErrorType)
		}
	}
}
