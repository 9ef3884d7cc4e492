package harborai_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/harborai"
)

// legacyBodyBase answers at once with a stream whose body blocks until the
// request it got is cancelled through CancelRequest (a Go 1.5-era
// RoundTripper, which ignores the context: net/http's own Transport keeps
// such a request cancellable until its body ends).
type legacyBodyBase struct {
	mu      sync.Mutex
	pending map[*http.Request]chan struct{}
}

type blockedBody struct{ cancel <-chan struct{} }

func (b blockedBody) Read([]byte) (int, error) {
	select {
	case <-b.cancel:
		return 0, errors.New("net/http: request canceled")
	case <-time.After(3 * time.Second):
		return 0, errors.New("legacy base: body not canceled for 3s")
	}
}
func (blockedBody) Close() error { return nil }

func (b *legacyBodyBase) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	ch := make(chan struct{})
	b.mu.Lock()
	if b.pending == nil {
		b.pending = map[*http.Request]chan struct{}{}
	}
	b.pending[req] = ch
	b.mu.Unlock()
	return &http.Response{StatusCode: 200, ContentLength: -1, Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body: blockedBody{ch}, Request: req}, nil
}

func (b *legacyBodyBase) CancelRequest(req *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ch, ok := b.pending[req]; ok {
		close(ch)
		delete(b.pending, req)
	}
}

// http.Client's Timeout covers reading the body, and calls CancelRequest
// then too: a request the Transport sent as a copy (a stream rewritten to
// ask for usage here; a body copied as sent, a traced call alike) stays
// cancellable through the base until its body ends, as with net/http.
func TestTransportHTTPCancelRequestDuringBody(t *testing.T) {
	pub, _ := httpPub(t)
	for _, tc := range []struct{ name, body string }{
		{"json", httpChat}, // out == req: passes
		{"stream rewritten", `{"model":"m","stream":true}`}, // out is a copy
	} {
		for _, recorded := range []bool{false, true} {
			name := tc.name + map[bool]string{false: "/plain", true: "/recorded"}[recorded]
			t.Run(name, func(t *testing.T) {
				var rt http.RoundTripper = new(legacyBodyBase)
				if recorded {
					rt = harborai.NewTransport(pub, rt)
				}
				client := &http.Client{Transport: rt, Timeout: 200 * time.Millisecond}
				req, _ := http.NewRequest(http.MethodPost, "https://api.openai.com/v1/chat/completions", strings.NewReader(tc.body))
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("%s: reading the body returned after %v (%v); the client's 200ms Timeout did not cancel it", name, d.Round(time.Millisecond), err)
				}
			})
		}
	}
}
