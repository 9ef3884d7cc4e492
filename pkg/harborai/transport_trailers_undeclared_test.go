package harborai_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestUndeclaredTrailersOnErrorBody: an error response (4xx, chunked)
// whose trailers are not announced by a Trailer header is read ahead on a
// goroutine (so that an SDK that drops it still ends its call). net/http
// writes resp.Trailer when it reads the body's end; the application's
// response gets them when its own read reaches the end, as with the base
// alone: not before (httputil.ReverseProxy counts them right after
// RoundTrip), and without a race (-race).
func TestUndeclaredTrailersOnErrorBody(t *testing.T) {
	pub, _ := httpPub(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error":{"message":"slow down"}}`)
		w.(http.Flusher).Flush() // chunked
		w.Header().Set(http.TrailerPrefix+"X-Request-Cost", "0")
	}))
	t.Cleanup(srv.Close)
	plainAndRecorded(t, pub, srv.URL, func() *http.Transport { return &http.Transport{} }, func(t *testing.T, name string, rt http.RoundTripper) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", strings.NewReader(httpChat))
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		time.Sleep(100 * time.Millisecond) // the application does something else before reading
		// As httputil.ReverseProxy does right after RoundTrip (announcedTrailers := len(res.Trailer)).
		if n := len(resp.Trailer); n != 0 {
			t.Errorf("%s: before the body was read, resp.Trailer = %v (len %d); with the base alone it is empty until EOF", name, resp.Trailer, n)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.Trailer.Get("X-Request-Cost") != "0" {
			t.Errorf("%s: after EOF trailer %v", name, resp.Trailer)
		}
	})
}
