package harborai_test

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/harborai"
)

// TestLongStreamCopiedOnce: the copy a recorded stream keeps for its event
// is made about the size of recent streams, not grown from 4 KiB by
// doubling (or by append's smaller steps), which made and copied a 48 KiB
// stream's bytes several times over on the application's goroutine. The
// bytes a call through the Transport allocates, less what the same call
// allocates without it, stay below 1.5 times the stream, with and without
// the usage rewrite.
func TestLongStreamCopiedOnce(t *testing.T) {
	long := longStream(400)
	size := 0
	for _, e := range long.usage {
		size += len(e)
	}
	// A broker that is down: the events are dropped at once, and the
	// background publisher allocates next to nothing meanwhile.
	pub, err := harborai.Connect("nats://"+testutil.HangUpAddr(t), harborai.WithQueueSize(4))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = pub.Close(ctx) // gives up on the queued events: nothing listens
	})
	for _, tc := range []struct{ name, body string }{
		{"asks usage", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`},
		{"rewritten", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain := &http.Client{Transport: long}
			recorded := pub.HTTPClient(&http.Client{Transport: long})
			call := func(c *http.Client) uint64 {
				req, err := http.NewRequest(http.MethodPost, "https://api.openai.com/v1/chat/completions", strings.NewReader(tc.body))
				if err != nil {
					t.Fatal(err)
				}
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, resp.Body); err != nil {
					t.Fatal(err)
				}
				_ = resp.Body.Close()
				runtime.ReadMemStats(&after)
				return after.TotalAlloc - before.TotalAlloc
			}
			least := func(c *http.Client) uint64 {
				m := call(c) // the first: the size of recent streams is not known yet
				for range 5 {
					m = min(m, call(c))
				}
				return m
			}
			added := int64(least(recorded)) - int64(least(plain))
			t.Logf("a %d-byte stream: %d bytes allocated more than without the Transport", size, added)
			if limit := int64(size + size/2); added > limit {
				t.Errorf("a %d-byte stream through the Transport allocates %d bytes more than without it; want at most %d", size, added, limit)
			}
		})
	}
}

// longStream is memoryStream with n content chunks.
func longStream(n int) memoryStream {
	var plain, usage []string
	for i := range n {
		delta := `{"content":"` + strings.Repeat("x", 40+i%7) + `"}`
		c := `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":` + delta + `,"finish_reason":null}]`
		plain = append(plain, c+"}\n\n")
		usage = append(usage, c+`,"usage":null}`+"\n\n")
	}
	usage = append(usage, `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":400,"total_tokens":409}}`+"\n\n")
	plain = append(plain, "data: [DONE]\n\n")
	usage = append(usage, "data: [DONE]\n\n")
	return memoryStream{events: plain, usage: usage}
}
