package harborai_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestWrongContentLengthNotRewritten: a request whose ContentLength
// disagrees with its body fails with the base alone ("http: ContentLength=N
// with Body length M"), or sends the declared bytes only; the Transport
// does not rewrite it for include_usage, so it fails the same way.
func TestWrongContentLengthNotRewritten(t *testing.T) {
	pub, _ := httpPub(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	const body = `{"model":"gpt-4o-mini","stream":true,"messages":[]}`
	for _, tc := range []struct {
		name    string
		length  int64
		getBody bool
	}{
		{"shorter-than-declared", int64(len(body)) + 10, false}, {"longer-than-declared", int64(len(body)) - 10, false},
		{"shorter-than-declared, GetBody", int64(len(body)) + 10, true}, {"longer-than-declared, GetBody", int64(len(body)) - 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errs [2]string
			i := 0
			plainAndRecorded(t, pub, srv.URL, func() *http.Transport { return &http.Transport{} }, func(t *testing.T, name string, rt http.RoundTripper) {
				var r io.Reader = io.NopCloser(strings.NewReader(body)) // no GetBody
				if tc.getBody {
					r = strings.NewReader(body)
				}
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", r)
				req.ContentLength = tc.length
				resp, err := rt.RoundTrip(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					errs[i] = "<nil>"
				} else {
					errs[i] = err.Error()
				}
				i++
			})
			if (errs[0] == "<nil>") != (errs[1] == "<nil>") {
				t.Errorf("plain: err=%s; recorded: err=%s", errs[0], errs[1])
			}
		})
	}
}
