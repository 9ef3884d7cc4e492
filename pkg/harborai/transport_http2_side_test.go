package harborai_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/harborai/ingest/pkg/harborai"
)

// TestHTTP2SideBySide: over HTTP/2, the response fields, body, trailers and
// errors are the base's, side by side, for a stream whose usage chunk is
// hidden, a 429 read ahead and a plain JSON. (Read after Close fails in both,
// with net/http's HTTP/1 text through the Transport.)
func TestHTTP2SideBySide(t *testing.T) {
	pub, _ := httpPub(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		switch r.Header.Get("X-Case") {
		case "stream":
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Trailer", "X-Cost")
			u := strings.Contains(string(b), `"include_usage":true`)
			_, _ = io.WriteString(w, "data: {\"choices\":[{\"delta\":{}}]}\n\n")
			w.(http.Flusher).Flush()
			if u {
				_, _ = io.WriteString(w, "data: {\"choices\":[],\"usage\":{\"total_tokens\":2}}\n\n")
			}
			_, _ = io.WriteString(w, "data: [DONE]\n\n")
			w.Header().Set("X-Cost", "1")
		case "429":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(429)
			_, _ = io.WriteString(w, `{"error":{"message":"slow down"}}`)
		default:
			_, _ = io.WriteString(w, httpAnswer)
		}
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	for _, c := range []string{"stream", "429", "json"} {
		var got [2]string
		for i, recorded := range []bool{false, true} {
			base := srv.Client().Transport.(*http.Transport).Clone()
			t.Cleanup(base.CloseIdleConnections)
			var rt http.RoundTripper = base
			if recorded {
				rt = harborai.NewTransport(pub, base, harborai.WithBaseURL("openai", srv.URL+"/v1"))
			}
			body := `{"model":"m","messages":[]}`
			if c == "stream" {
				body = `{"model":"m","stream":true}`
			}
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("X-Case", c)
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			b, rerr := io.ReadAll(resp.Body)
			cerr := resp.Body.Close()
			_, aerr := resp.Body.Read(make([]byte, 10))
			got[i] = fmt.Sprintf("proto=%s status=%d readErr=%v closeErr=%v readAfterCloseFails=%v trailer=%v len=%d", resp.Proto, resp.StatusCode, rerr, cerr, aerr != nil, resp.Trailer, len(b))
		}
		if got[0] != got[1] {
			t.Errorf("%s:\nplain:    %s\nrecorded: %s", c, got[0], got[1])
		}
	}
}
