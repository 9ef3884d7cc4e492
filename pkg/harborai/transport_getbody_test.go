package harborai_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// bodyOverGetBody sends a request whose Body a middleware replaced
// after http.NewRequest (GetBody left as it was) and returns what the server
// got and the request event.
func bodyOverGetBody(t *testing.T, original, final string, opts ...harborai.TransportOption) (string, *event.Event) {
	t.Helper()
	pub, published := httpPub(t)
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(string(b))
		if strings.Contains(string(b), `"stream":true`) {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, "data: [DONE]\n\n")
			return
		}
		_, _ = io.WriteString(w, httpAnswer)
	}))
	t.Cleanup(srv.Close)
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	tr := harborai.NewTransport(pub, base, append(opts, harborai.WithBaseURL("openai", srv.URL+"/v1"))...)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", strings.NewReader(original))
	req.Body, req.ContentLength = io.NopCloser(strings.NewReader(final)), int64(len(final))
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	var reqEv *event.Event
	waitFor(t, 10*time.Second, "the request event", func() (bool, string) {
		for _, ev := range decoded(t, published) {
			if ev.Request != nil {
				reqEv = ev
			}
		}
		return reqEv != nil, ""
	})
	wire, _ := got.Load().(string)
	return wire, reqEv
}

// When the call's ids and model are filled in on the caller's goroutine
// (WithOnCall, a TracerProvider), a stream rewritten from Body, which a
// middleware replaced and not GetBody, has the model Body names, as its
// request event carries Body's text.
func TestTransportHTTPBodyOverGetBodyModelSeen(t *testing.T) {
	const original = `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"draft"}]}`
	const final = `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"FINAL"}]}`
	var seen atomic.Value
	_, ev := bodyOverGetBody(t, original, final, harborai.WithOnCall(func(_ *http.Request, c *harborai.Call) { seen.Store(c.ID()) }))
	if !strings.Contains(ev.Request.Body, "FINAL") {
		t.Fatalf("request event body %s", ev.Request.Body)
	}
	if ev.Model != "gpt-4o" {
		t.Errorf("request event model %q with body %s; want gpt-4o, the model of the body sent", ev.Model, ev.Request.Body)
	}
}
