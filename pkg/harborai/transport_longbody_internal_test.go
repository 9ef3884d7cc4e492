package harborai

import (
	"bytes"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

type okBase struct{}

func (okBase) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	const reply = `{"id":"c","object":"chat.completion","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		ContentLength: int64(len(reply)), Body: io.NopCloser(strings.NewReader(reply)), Request: req}, nil
}

func heapNow() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestLongBodyNotKeptByQueuedEvents: a request body of known
// length longer than WithMaxBodyBytes is read whole (takeBody), and the
// event keeps a clone of its first limit bytes. While the call's events
// wait in the publisher's queue (NATS slow or down), they must hold about
// limit bytes of it, not the whole body.
func TestLongBodyNotKeptByQueuedEvents(t *testing.T) {
	const limit = 1 << 10
	const size = 16 << 20
	p := &Publisher{opts: defaultOptions(), queue: make(chan queued, 64), wake: make(chan struct{}, 1)}
	tr := NewTransport(p, okBase{}, WithMaxBodyBytes(limit))
	before := heapNow()
	func() {
		var b bytes.Buffer
		b.WriteString(`{"messages":[{"role":"user","content":"`)
		b.WriteString(strings.Repeat("x", size))
		b.WriteString(`"}],"model":"gpt-4o-mini","stream":false}`)
		req, _ := http.NewRequest(http.MethodPost, "https://api.openai.com/v1/chat/completions", bytes.NewReader(b.Bytes()))
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}()
	held := int64(heapNow()) - int64(before)
	if len(p.queue) != 2 {
		t.Fatalf("%d events queued, want 2", len(p.queue))
	}
	t.Logf("queued events hold %d bytes (body %d, limit %d)", held, size, limit)
	if held > 1<<20 {
		var models []string
		for _, q := range []queued{<-p.queue, <-p.queue} {
			models = append(models, strings.Clone(q.ev.Model))
			q.ev.Model = strings.Clone(q.ev.Model)
			p.queue <- q
		}
		after := int64(heapNow()) - int64(before)
		t.Errorf("the 2 queued events of a call with a %d-byte request body (limit %d) hold %d bytes; %d once their Model %q is cloned: the model is a substring of the whole body", size, limit, held, after, models)
	}
	runtime.KeepAlive(p)
}

// TestLongBodyReadOnce: a 32 MiB request body of known length, read
// whole on the application's goroutine (takeBody, wholeBody). One copy of
// it is what the Transport says it makes ("the copy lasts the call"); the
// read allocates several, growing its buffer by append from 256 KiB.
func TestLongBodyReadOnce(t *testing.T) {
	const size = 32 << 20
	p := &Publisher{opts: defaultOptions(), queue: make(chan queued, 64), wake: make(chan struct{}, 1)}
	tr := NewTransport(p, okBase{})
	for _, stream := range []string{"false", "true"} {
		var b bytes.Buffer
		b.WriteString(`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,`)
		b.WriteString(strings.Repeat("QUJD", size/4))
		b.WriteString(`"}}]}],"model":"gpt-4o-mini","stream":` + stream + `}`)
		best, alloc := time.Duration(1<<62), uint64(0)
		for range 3 {
			req, _ := http.NewRequest(http.MethodPost, "https://api.openai.com/v1/chat/completions", bytes.NewReader(b.Bytes()))
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			start := time.Now()
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			best = min(best, time.Since(start))
			runtime.ReadMemStats(&m1)
			alloc = m1.TotalAlloc - m0.TotalAlloc
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			for len(p.queue) > 0 {
				<-p.queue
			}
		}
		t.Logf("stream %s: RoundTrip %v, %d MiB allocated on the caller's goroutine, body %d MiB", stream, best, alloc>>20, size>>20)
		if want := uint64(2*size + 2*DefaultMaxBodyBytes); stream == "false" && alloc > want {
			t.Errorf("a %d MiB body of known length: RoundTrip allocated %d MiB and took %v on the caller's goroutine, want at most %d MiB (one copy of the body, the event's)", size>>20, alloc>>20, best, want>>20)
		}
	}
}
