package harborai_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/harborai"
)

// TestErrorBodyClosedThenPublisherClosed: an application gets a 500,
// closes its body unread and then closes the publisher (the documented
// "defer pub.Close(ctx)" at exit). The body is still read for closeGrace
// after the application's Close, and its response event queued then:
// Close waits for it, so both events are published, whether the error body
// was in net/http's buffer already or comes 10 ms later.
func TestErrorBodyClosedThenPublisherClosed(t *testing.T) {
	srv := startBroker(t)
	const body = `{"error":{"message":"overloaded","type":"server_error"}}`
	for _, delay := range []time.Duration{0, 10 * time.Millisecond} {
		vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "56")
			w.WriteHeader(http.StatusInternalServerError)
			if delay > 0 {
				w.(http.Flusher).Flush()
				time.Sleep(delay) // the error object a moment after the headers
			}
			_, _ = w.Write([]byte(body))
		}))

		pub, err := harborai.Connect(srv.ClientURL())
		if err != nil {
			t.Fatal(err)
		}
		client := pub.HTTPClient(nil, harborai.WithBaseURL("openai", vendor.URL+"/v1"))
		req, _ := http.NewRequest(http.MethodPost, vendor.URL+"/v1/chat/completions",
			strings.NewReader(`{"model":"gpt-4o-mini","messages":[]}`))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = pub.Close(ctx)
		cancel()
		st := pub.Stats()
		time.Sleep(100 * time.Millisecond) // let the read-ahead end, for goleak
		st2 := pub.Stats()
		vendor.Close()
		if st.Published != 2 || st2.Dropped != 0 {
			t.Errorf("body after %v; resp.Body.Close() then pub.Close(): Stats at Close %+v, 100 ms later %+v; want both events published, none dropped", delay, st, st2)
		}
	}
}
