package harborai_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestRedirectsSideBySide: http.Client's redirects (301, 302, 303, 307,
// 308, with and without GetBody, with a body the Transport rewrites), side
// by side: each hop gets the same method, length and body, and the
// application the same response.
func TestRedirectsSideBySide(t *testing.T) {
	pub, _ := httpPub(t)
	var mu sync.Mutex
	var hops []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hops = append(hops, fmt.Sprintf("%s %s cl=%d body=%q", r.Method, r.URL.Path, r.ContentLength, b))
		mu.Unlock()
		if code := r.URL.Query().Get("code"); code != "" {
			w.Header().Set("Location", "/v1/chat/completions")
			var c int
			fmt.Sscan(code, &c)
			w.WriteHeader(c)
			_, _ = io.WriteString(w, "moved")
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: {\"choices\":[{\"delta\":{}}]}\n\n")
		if strings.Contains(string(b), `"include_usage":true`) {
			_, _ = io.WriteString(w, "data: {\"choices\":[],\"usage\":{\"total_tokens\":2}}\n\n")
		}
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	for _, code := range []int{301, 302, 303, 307, 308} {
		for _, getBody := range []bool{true, false} {
			for _, body := range []string{httpChat, `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`} {
				var res [2]string
				i := 0
				plainAndRecorded(t, pub, srv.URL, func() *http.Transport { return &http.Transport{} }, func(t *testing.T, name string, rt http.RoundTripper) {
					mu.Lock()
					hops = nil
					mu.Unlock()
					req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/v1/chat/completions?code=%d", srv.URL, code), strings.NewReader(body))
					if !getBody {
						req.GetBody = nil
						req.Body = io.NopCloser(strings.NewReader(body))
					}
					resp, err := (&http.Client{Transport: rt}).Do(req)
					s := fmt.Sprint(err)
					if err == nil {
						b, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						s = fmt.Sprintf("%d %q cl=%d", resp.StatusCode, b, resp.ContentLength)
					}
					mu.Lock()
					res[i] = s + " hops=" + strings.Join(hops, " | ")
					mu.Unlock()
					i++
				})
				if res[0] != res[1] {
					t.Errorf("%d getBody=%v body=%s:\nplain:    %s\nrecorded: %s", code, getBody, body, res[0], res[1])
				}
			}
		}
	}
}
