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
// the usage rewrite, whether the application reads the stream to its end or
// closes it at [DONE], as SDKs do.
func TestLongStreamCopiedOnce(t *testing.T) {
	long := longStream(400)
	size := 0
	for _, e := range long.usage {
		size += len(e)
	}
	addr := testutil.HangUpAddr(t)
	for _, tc := range []struct {
		name, body string
		read       func(io.Reader) error
	}{
		{"asks usage", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`, readToEOF},
		{"rewritten", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true}`, readToEOF},
		{"asks usage, closed at [DONE]", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`, readToDone},
		{"rewritten, closed at [DONE]", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true}`, readToDone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A publisher of its own, which has seen no stream yet, to a
			// broker that is down: the events are dropped at once, and
			// the background publisher allocates next to nothing meanwhile.
			pub, err := harborai.Connect("nats://"+addr, harborai.WithQueueSize(4))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				_ = pub.Close(ctx) // gives up on the queued events: nothing listens
			})
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
				if err := tc.read(resp.Body); err != nil {
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

func readToEOF(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}

// readToDone reads r until the stream's "data: [DONE]" event, and no
// further: the end of the body is left unread, as SDKs leave it.
func readToDone(r io.Reader) error {
	const done = "data: [DONE]\n\n"
	buf := make([]byte, 32<<10)
	var tail []byte
	for {
		n, err := r.Read(buf)
		tail = append(tail, buf[:n]...)
		if len(tail) > 2*len(done) {
			tail = tail[len(tail)-2*len(done):]
		}
		if strings.HasSuffix(string(tail), done) {
			return nil
		}
		if err != nil {
			return err
		}
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

// TestShortStreamsAfterALongOne: after a long stream, short ones do not pay
// for it. Streams still open (no byte read yet) hold a few KiB each, not
// the long stream's size, and their queued events keep no more than their
// bodies need.
func TestShortStreamsAfterALongOne(t *testing.T) {
	pub, err := harborai.Connect("nats://"+testutil.HangUpAddr(t), harborai.WithQueueSize(10000), harborai.WithQueueBytes(8<<20))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = pub.Close(ctx)
	})
	const body = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`
	newRequest := func() *http.Request {
		req, err := http.NewRequest(http.MethodPost, "https://api.openai.com/v1/chat/completions", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	resp, err := pub.HTTPClient(&http.Client{Transport: longStream(1050)}).Do(newRequest())
	if err != nil {
		t.Fatal(err)
	}
	long, _ := io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()

	release := make(chan struct{})
	client := pub.HTTPClient(&http.Client{Transport: heldStream{release}})
	heap := func() int64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	const n = 200
	before := heap()
	resps := make([]*http.Response, 0, n)
	for range n {
		resp, err := client.Do(newRequest()) //nolint:bodyclose // closed below, once all are open
		if err != nil {
			t.Fatal(err)
		}
		resps = append(resps, resp) //nolint:bodyclose // closed below, once all are open
	}
	open := heap() - before
	close(release)
	for _, r := range resps {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	queued := heap() - before
	t.Logf("after a %d-byte stream: %d open streams hold %d KiB, then their queued events %d KiB", long, n, open>>10, queued>>10)
	if limit := int64(n * 32 << 10); open > limit || queued > limit {
		t.Errorf("%d short streams after a %d-byte one: %d KiB open, %d KiB queued; want each below %d KiB (32 KiB a stream)",
			n, long, open>>10, queued>>10, limit>>10)
	}

}

// heldStream answers every call with a short stream of unknown length
// whose first Read waits for release.
type heldStream struct{ release chan struct{} }

func (h heldStream) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return answer(req, "text/event-stream", &heldBody{release: h.release}, -1), nil
}

type heldBody struct {
	release chan struct{}
	done    bool
}

func (b *heldBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	<-b.release
	b.done = true
	return copy(p, "data: [DONE]\n\n"), nil
}

func (b *heldBody) Close() error { return nil }
