package harborai

import (
	"net/http"
	"strings"
	"testing"
)

type panickingCanceler struct{}

func (panickingCanceler) RoundTrip(*http.Request) (*http.Response, error) { panic("base bug") }
func (panickingCanceler) CancelRequest(*http.Request)                     {}

// TestTransportSentNotLeaked: a base that panics (an http.Server recovers a
// handler's panic, so an LLM gateway lives on) leaves no request in the map
// that forwards CancelRequest, where it would keep both requests, their
// bodies and contexts for the life of the Transport.
func TestTransportSentNotLeaked(t *testing.T) {
	p := &Publisher{opts: defaultOptions(), queue: make(chan queued, 64), wake: make(chan struct{}, 1)}
	tr := NewTransport(p, panickingCanceler{})
	for range 3 {
		func() {
			defer func() { _ = recover() }()
			req, _ := http.NewRequest(http.MethodPost, "https://api.openai.com/v1/chat/completions", strings.NewReader(`{"model":"m","stream":true}`))
			_, _ = tr.RoundTrip(req) //nolint:bodyclose // the base panics: no response
		}()
	}
	n := 0
	tr.sent.Range(func(any, any) bool { n++; return true })
	if n != 0 {
		t.Errorf("%d requests left in t.sent after their RoundTrip panicked", n)
	}
}
