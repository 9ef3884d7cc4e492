package harborai_test

import (
	"bytes"
	"io"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/harborai"
)

// cancelerBase is a memory base with CancelRequest, as an older
// RoundTripper has.
type cancelerBase struct{ http.RoundTripper }

func (cancelerBase) CancelRequest(*http.Request) {}

// TestTransportAllocs: the allocations of a recorded call made with
// http.NewRequest from a bytes.Reader (GetBody set), the common call: they
// are the fast path's, and a change that adds one is seen here. A base with
// CancelRequest that is not an *http.Transport (an older RoundTripper) costs
// a rewritten stream two more: the map entry that forwards CancelRequest
// to the copy sent.

// transportAllocs is the allocations of one recorded call made with
// http.NewRequest from a bytes.Reader, read to EOF and closed.
func transportAllocs(t *testing.T, base http.RoundTripper, url, body string) float64 {
	srv := startBroker(t)
	pub := connect(t, srv.ClientURL(), harborai.WithFlushInterval(time.Hour), harborai.WithQueueSize(1<<20), harborai.WithQueueBytes(1<<30))
	tr := harborai.NewTransport(pub, base)
	b := []byte(body)
	reqs := make([]*http.Request, 0, 4096)
	for range 4096 {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer sk-test")
		req.Header.Set("Content-Type", "application/json")
		reqs = append(reqs, req)
	}
	i := 0
	call := func() {
		resp, err := tr.RoundTrip(reqs[i])
		i++
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	for range 50 {
		call()
	}
	// testing.AllocsPerRun counts the whole process's allocations: a
	// goroutine left by an earlier test, or the broker's own, adds to some
	// rounds (a chat call read 14 once in four runs of the package). The
	// least of five rounds is the call's own.
	least := math.Inf(1)
	for range 5 {
		least = min(least, testing.AllocsPerRun(200, call))
	}
	return least
}

const (
	allocsChat   = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Where is my order 4521?"}]}`
	allocsStream = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Where is my order 4521?"}],"stream":true}`
	allocsUsage  = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Where is my order 4521?"}],"stream":true,"stream_options":{"include_usage":true}}`
)

func TestTransportAllocs(t *testing.T) {
	chat := memoryTransport{body: []byte(sampleEvent().Response.Body)}
	const (
		openai = "https://api.openai.com/v1/chat/completions"
		azure  = "https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21" // a query on every call
	)
	for _, tc := range []struct {
		name      string
		base      http.RoundTripper
		url, body string
		max       float64 // measured with this test (Go 1.26)
	}{
		{"chat", chat, openai, allocsChat, 12},
		{"chat/canceler", cancelerBase{chat}, openai, allocsChat, 12},
		{"chat/query", chat, azure, allocsChat, 14},
		{"stream-rewrite", sampleStream(), openai, allocsStream, 16},
		{"stream-rewrite/canceler", cancelerBase{sampleStream()}, openai, allocsStream, 18},
		{"stream-usage-set", sampleStream(), openai, allocsUsage, 13},
		{"stream-usage-set/canceler", cancelerBase{sampleStream()}, openai, allocsUsage, 13},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := transportAllocs(t, tc.base, tc.url, tc.body)
			t.Logf("%s: %.2f allocs/call", tc.name, got)
			if got > tc.max {
				t.Errorf("%s: %.0f allocations a call, want at most %.0f: the recorded call's path allocates more", tc.name, got, tc.max)
			}
		})
	}
}
