package harborai_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/harborai/ingest/pkg/harborai"
)

// TestTransportHTTPRequestTrailers with a body that has GetBody
// (http.NewRequest from a strings.Reader), sent chunked (ContentLength -1)
// with trailers: the request the usage rewrite would otherwise take.
func TestTransportHTTPRequestTrailersGetBody(t *testing.T) {
	pub, _ := httpPub(t)
	var got, gotBody atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody.Store(string(b))
		got.Store(r.Trailer.Get("X-Body-Sha256"))
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	tr := harborai.NewTransport(pub, base, harborai.WithBaseURL("openai", srv.URL+"/v1"))
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", strings.NewReader(`{"model":"m","stream":true}`))
	req.ContentLength = -1 // chunked, GetBody kept
	req.Trailer = http.Header{"X-Body-Sha256": {"abc"}}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if g, _ := got.Load().(string); g != "abc" {
		t.Errorf("server got trailer %q (body %v), want abc", g, gotBody.Load())
	}
}
