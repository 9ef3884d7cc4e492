package harborai_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/harborai"
)

// TestConcurrentReadClose: Read and Close at once, on streams whose usage
// chunk is hidden and on 429s read ahead, many calls at once: no race
// (-race), no Read left blocked, no goroutine left.
func TestConcurrentReadClose(t *testing.T) {
	checkLeaks(t)
	pub, _ := httpPub(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Header.Get("X-Case") == "429" {
			w.WriteHeader(429)
			for i := range 20 {
				fmt.Fprintf(w, `{"e":%d}`, i)
				w.(http.Flusher).Flush()
				time.Sleep(time.Millisecond)
			}
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 50 {
			fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":\"%d\"}}],\"usage\":null}\n\n", i)
			w.(http.Flusher).Flush()
			time.Sleep(200 * time.Microsecond)
		}
		_, _ = io.WriteString(w, "data: {\"choices\":[],\"usage\":{\"total_tokens\":2}}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	base := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(base.CloseIdleConnections)
	client := pub.HTTPClient(&http.Client{Transport: base}, harborai.WithBaseURL("openai", srv.URL+"/v1"))
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := []string{"stream", "429"}[i%2]
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", strings.NewReader(`{"model":"m","stream":true}`))
			req.Header.Set("X-Case", c)
			resp, err := client.Do(req) //nolint:bodyclose // closed below, while another goroutine reads it
			if err != nil {
				t.Error(err)
				return
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				buf := make([]byte, 1+i%7)
				for {
					if _, err := resp.Body.Read(buf); err != nil {
						return
					}
				}
			}()
			time.Sleep(time.Duration(i%5) * time.Millisecond)
			_ = resp.Body.Close()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Errorf("%s: Read still blocked 5s after Close", c)
			}
		}()
	}
	wg.Wait()
}
