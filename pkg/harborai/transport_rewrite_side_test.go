package harborai_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRewriteBodiesSideBySide: request bodies the include_usage rewrite
// must leave alone reach the server byte for byte; stream_options: null is
// rewritten, and the application's stream is unchanged but for
// "usage":null.
func TestRewriteBodiesSideBySide(t *testing.T) {
	pub, _ := httpPub(t)
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(string(b))
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: {\"choices\":[{\"delta\":{}}]}\n\n")
		if strings.Contains(string(b), `"include_usage":true`) {
			_, _ = io.WriteString(w, "data: {\"choices\":[],\"usage\":{\"total_tokens\":2}}\n\n")
		}
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	for _, body := range []string{
		`{"model":"m","stream":true,"stream_options":{"include_usage":false}}`,
		`{"model":"m","stream":"true"}`,
		"\ufeff" + `{"model":"m","stream":true}`,
		`[{"model":"m","stream":true}]`,
		`{"model":"m","stream":true,"stream":false}`,
		`{"model":"m","stream":true,"stream_options":{"include_usage":true}}`,
		`{"model":"m","stream":true,"stream_options":{"include\u005fusage":false}}`,
		`{"model":"m","stream":true,"n":1e400,"seed":123456789012345678901234567890}`,
		`{"model":"m","stream":true,"stream_options":null}`,
		`{"model":"m","stream":true,"stream_options":{}}`,
		`{"model":"m","stream":true,"stream_options":{"include_usage":true},"stream_options":{"include_usage":false}}`,
		`{"model":"m","stream":true} `,
		`{"model":"m","stream":true}garbage`,
	} {
		var sent, read [2]string
		i := 0
		plainAndRecorded(t, pub, srv.URL, func() *http.Transport { return &http.Transport{} }, func(t *testing.T, name string, rt http.RoundTripper) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", strings.NewReader(body))
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			sent[i], read[i] = got.Load().(string), string(b)
			i++
		})
		if read[0] != read[1] {
			t.Errorf("body %q: app read\nplain:    %q\nrecorded: %q", body, read[0], read[1])
		}
		if sent[0] != sent[1] {
			t.Logf("body %q: server got %q (rewritten)", body, sent[1])
		}
	}
}
