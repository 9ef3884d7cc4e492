package harborai

import (
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestHugeContentLengthWithNoLimit: WithMaxBodyBytes(math.MaxInt) ("keeps
// all"; docs: "at most 256 KiB is allocated before its bytes arrive") and a
// request whose Content-Length is larger than its body. Without the
// Transport net/http fails the call with an error; readUpTo's new growth
// step allocates contentLength+1 bytes at once after 256 KiB, which
// overflows (MaxInt64) and panics on the caller's goroutine (with 1<<40 it
// is a fatal out of memory instead).
func TestHugeContentLengthWithNoLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	p := queuePublisher()
	p.queue = make(chan queued, 16)
	tr := NewTransport(p, http.DefaultTransport, WithMaxBodyBytes(math.MaxInt), WithBaseURL("openai", srv.URL+"/v1"))
	mk := func() *http.Request {
		u, _ := url.Parse(srv.URL + "/v1/chat/completions")
		return &http.Request{Method: http.MethodPost, URL: u, Header: http.Header{},
			Body:          readCloser{strings.NewReader(strings.Repeat("x", 300<<10)), http.NoBody},
			ContentLength: math.MaxInt64, Host: u.Host}
	}
	plain, plainErr := http.DefaultTransport.RoundTrip(mk())
	if plainErr == nil {
		_ = plain.Body.Close()
	}
	var panicked any
	func() {
		defer func() { panicked = recover() }()
		resp, err := tr.RoundTrip(mk())
		if err == nil {
			_ = resp.Body.Close()
		}
	}()
	if panicked != nil {
		t.Errorf("RoundTrip with Content-Length %d, a 300 KiB body, WithMaxBodyBytes(math.MaxInt): panic %v; without the Transport: error %v", int64(math.MaxInt64), panicked, plainErr)
	}
}

// TestSelfHostedMistralGetsStreamOptions: a self-hosted OpenAI-compatible
// server (vLLM) serving a Mistral model, reached as a compose service or
// an ingress path named after the model, takes stream_options: its streams
// get their usage. Only Mistral's own API refuses it.
func TestSelfHostedMistralGetsStreamOptions(t *testing.T) {
	for _, base := range []string{"http://mistral:8000/v1", "https://inference.corp.example/mistral/v1"} {
		m, _ := newMatcher([]baseURL{{provider: "openai_compatible", url: base}})
		req, _ := http.NewRequest(http.MethodPost, base+"/chat/completions", nil)
		a, ok := m.lookup(req)
		if !ok || !a.includeUsage {
			t.Errorf("WithBaseURL(openai_compatible, %q): includeUsage %v (matched %v); want true: a vLLM server, not Mistral's API nor a gateway", base, a.includeUsage, ok)
		}
	}
}
