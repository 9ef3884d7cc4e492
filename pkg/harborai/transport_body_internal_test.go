package harborai

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
)

// queuePublisher is a Publisher whose events stay in its queue, for tests
// that read them back.
func queuePublisher() *Publisher {
	return &Publisher{opts: defaultOptions(), queue: make(chan queued, 4), wake: make(chan struct{}, 1)}
}

// queuedResponse returns the response event p's queue holds, skipping the
// request event.
func queuedResponse(t *testing.T, p *Publisher) *event.Event {
	t.Helper()
	for len(p.queue) > 0 {
		if ev := (<-p.queue).complete(); ev.Kind == event.KindResponse {
			return ev
		}
	}
	t.Fatal("no response event queued")
	return nil
}

// wrap wraps resp's body for a recording on p, as RoundTrip does.
func wrap(p *Publisher, resp *http.Response, limit int, hide *usageFilter) *http.Response {
	rec := newRecording(p, context.Background(), time.Now(), "openai", true)
	p.initHeader(rec.header(), context.Background(), CallInfo{Provider: "openai"})
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	return wrapBody(resp, rec, limit, hide)
}

// stalledBody gives one chunk, then blocks in Read until Close, which
// waits for the caller's Read to return before returning itself: the
// order in which a real connection's reader can win the race.
type stalledBody struct {
	chunk    string
	reading  chan struct{} // closed when the blocking Read starts
	closed   chan struct{}
	returned chan struct{} // closed by the test once the caller's Read returned
	reads    int
}

func newStalledBody(chunk string) *stalledBody {
	return &stalledBody{chunk: chunk, reading: make(chan struct{}), closed: make(chan struct{}), returned: make(chan struct{})}
}

func (b *stalledBody) Read(p []byte) (int, error) {
	if b.reads++; b.reads == 1 {
		return copy(p, b.chunk), nil
	}
	close(b.reading)
	<-b.closed
	return 0, errors.New("read tcp 127.0.0.1:1->127.0.0.1:2: use of closed network connection")
}

func (b *stalledBody) Close() error {
	close(b.closed)
	<-b.returned
	return nil
}

// TestBodyCloseWhileReading closes a stream's body while another goroutine
// is blocked reading it, the usual way to stop a stream: the call is
// abandoned, whichever of the two finishes first, not a transport error.
func TestBodyCloseWhileReading(t *testing.T) {
	const chunk = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n"
	for _, tt := range []struct {
		name string
		hide *usageFilter
	}{{"plain", nil}, {"hiding usage", new(usageFilter)}} {
		t.Run(tt.name, func(t *testing.T) {
			p := queuePublisher()
			rc := newStalledBody(chunk)
			resp := &http.Response{StatusCode: http.StatusOK, ContentLength: -1, Body: rc}
			resp = wrap(p, resp, DefaultMaxBodyBytes, tt.hide) //nolint:bodyclose // the test closes it, or not, as it means
			buf := make([]byte, 4096)
			if n, err := resp.Body.Read(buf); string(buf[:n]) != chunk || err != nil {
				t.Fatalf("first Read() = %q, %v, want %q", buf[:n], err, chunk)
			}
			go func() {
				_, _ = resp.Body.Read(buf)
				close(rc.returned)
			}()
			<-rc.reading
			_ = resp.Body.Close()
			if r := queuedResponse(t, p).Response; r.Status != event.StatusAbandoned || r.Body != chunk {
				t.Errorf("response event status %s (%s), body %q, want abandoned, %q", r.Status, r.ErrorType, r.Body, chunk)
			}
		})
	}
}

// TestBodyClosedAtStreamEnd: an SDK stops reading at a stream's last event
// and closes the body without reading EOF. The call succeeded, whether
// the event keeps the body or not.
func TestBodyClosedAtStreamEnd(t *testing.T) {
	stream := strings.Repeat("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n", 20) + "data: [DONE]\n\n"
	tests := []struct {
		name  string
		limit int
		piece int // bytes the vendor's connection gives a Read
	}{
		{"kept", DefaultMaxBodyBytes, 1 << 20},
		{"truncated", 16, 7},
		{"bodies off", 0, 7},
		{"bodies off, one read", 0, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := queuePublisher()
			rc := &pieces{s: stream, n: tt.piece}
			resp := &http.Response{StatusCode: http.StatusOK, ContentLength: -1, Body: io.NopCloser(rc)}
			resp = wrap(p, resp, tt.limit, nil)
			buf := make([]byte, 1<<20)
			for rc.s != "" { // up to the end, without EOF
				if _, err := resp.Body.Read(buf); err != nil {
					t.Fatalf("Read() = %v", err)
				}
			}
			_ = resp.Body.Close()
			if r := queuedResponse(t, p).Response; r.Status != event.StatusSuccess {
				t.Errorf("response event status %s, want success", r.Status)
			}
		})
	}
}

// TestHidingBodyLength: hiding the usage chunk makes the body shorter than
// the vendor's Content-Length, so the caller is told no length, and reads
// to EOF what it would get without the chunk.
func TestHidingBodyLength(t *testing.T) {
	const in = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n" +
		"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}\n\n" +
		"data: [DONE]\n\n"
	p := queuePublisher()
	resp := &http.Response{
		StatusCode: http.StatusOK, ContentLength: int64(len(in)),
		Header: http.Header{"Content-Length": {strconv.Itoa(len(in))}},
		Body:   io.NopCloser(strings.NewReader(in)),
	}
	resp = wrap(p, resp, DefaultMaxBodyBytes, new(usageFilter))
	defer resp.Body.Close()
	if resp.ContentLength != -1 || resp.Header.Get("Content-Length") != "" {
		t.Errorf("ContentLength %d, header %q, want -1 and none", resp.ContentLength, resp.Header.Get("Content-Length"))
	}
	got, err := io.ReadAll(resp.Body)
	if want := filterWhole(in); string(got) != want || err != nil {
		t.Errorf("read %q, %v, want %q", got, err, want)
	}
	if r := queuedResponse(t, p).Response; r.Status != event.StatusSuccess || r.Body != in {
		t.Errorf("response event status %s, body %q, want success, %q", r.Status, r.Body, in)
	}
}

// readCounter counts the Reads of the reader it wraps.
type readCounter struct {
	r     io.Reader
	reads int
}

func (c *readCounter) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

// TestEncodedBodyNotFiltered: a compressed body (the caller asked for it
// raw) has no lines to filter: each Read passes on what the vendor's
// connection gave, untouched, without waiting for a newline.
func TestEncodedBodyNotFiltered(t *testing.T) {
	const compressed = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" // no newline in it
	p := queuePublisher()
	rc := &readCounter{r: &onlyReader{strings.NewReader(compressed + compressed), len(compressed)}}
	resp := &http.Response{
		StatusCode: http.StatusOK, ContentLength: -1,
		Header: http.Header{"Content-Encoding": {"gzip"}},
		Body:   io.NopCloser(rc),
	}
	resp = wrap(p, resp, DefaultMaxBodyBytes, new(usageFilter))
	defer resp.Body.Close()
	buf := make([]byte, 4096)
	if n, err := resp.Body.Read(buf); string(buf[:n]) != compressed || err != nil || rc.reads != 1 {
		t.Errorf("first Read() = %q, %v after %d reads of the connection, want %q after 1", buf[:n], err, rc.reads, compressed)
	}
}

// TestBodyLimitUnbounded: WithMaxBodyBytes(math.MaxInt), keeping bodies
// whole, works, and a large Content-Length costs no large buffer before
// its bytes arrive.
func TestBodyLimitUnbounded(t *testing.T) {
	if got, truncated, err := readUpTo(strings.NewReader("hello"), math.MaxInt, 5); got != "hello" || truncated || err != nil {
		t.Errorf("readUpTo(%q, MaxInt) = %q, %v, %v, want %q, false", "hello", got, truncated, err, "hello")
	}
	p := queuePublisher()
	resp := &http.Response{StatusCode: http.StatusOK, ContentLength: 1 << 30, Body: io.NopCloser(strings.NewReader("{}"))}
	resp = wrap(p, resp, math.MaxInt, nil)
	defer resp.Body.Close()
	if b := resp.Body.(*body); cap(b.buf) > upFront {
		t.Errorf("wrapBody of a 1 GiB body allocated %d bytes up front, want at most %d", cap(b.buf), upFront)
	}
}

// TestBodyOfUnknownLengthAtTheLimit: a body of unknown length is kept
// whole up to the limit, truncated past it; the event is the same for a
// success (read as it comes) and for an error (read ahead up to the limit,
// then handed over: the application reads every byte, in order, and the
// call ends at the body's end, once). A body of exactly the limit, whose
// end comes in a Read of its own, is not truncated.
func TestBodyOfUnknownLengthAtTheLimit(t *testing.T) {
	for _, tc := range []struct {
		status int
		size   int
	}{{200, 999}, {200, 1000}, {200, 1001}, {503, 999}, {503, 1000}, {503, 1001}, {503, 70_000}} {
		t.Run(fmt.Sprintf("%d/%d", tc.status, tc.size), func(t *testing.T) {
			p, size := queuePublisher(), tc.size
			text := strings.Repeat("0123456789", size/10+1)[:size]
			// A Reader without WriterTo or a length: a chunked body's.
			resp := &http.Response{StatusCode: tc.status, ContentLength: -1,
				Body: io.NopCloser(struct{ io.Reader }{strings.NewReader(text)})}
			resp = wrap(p, resp, 1000, nil)
			got, err := io.ReadAll(resp.Body)
			if err != nil || string(got) != text {
				t.Fatalf("read %d bytes, %v; want the %d sent", len(got), err, size)
			}
			if err := resp.Body.Close(); err != nil {
				t.Fatal(err)
			}
			ev := queuedResponse(t, p)
			r := ev.Response
			if want := map[int]string{200: event.StatusSuccess, 503: event.StatusError}[tc.status]; r.Status != want {
				t.Errorf("stored %s, want %s", r.Status, want)
			}
			wantBody, omitted := text, ""
			if size > 1000 {
				omitted = "truncated"
			}
			if r.BodyOmitted != omitted || (omitted == "" && r.Body != wantBody) {
				t.Errorf("event body %d bytes, omitted %q; want %d bytes, omitted %q", len(r.Body), r.BodyOmitted, len(wantBody), omitted)
			}
			if len(p.queue) > 0 {
				t.Errorf("%d more events queued, want one response event", len(p.queue))
			}
		})
	}
}

// TestDroppedErrorBodyAtTheLimit: an error body of unknown length up to
// the read-ahead's size (the limit here), that the application drops
// unread, as an SDK that retries does, still ends its call.
func TestDroppedErrorBodyAtTheLimit(t *testing.T) {
	for _, size := range []int{999, 1000} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			p := queuePublisher()
			text := strings.Repeat("e", size)
			resp := &http.Response{StatusCode: http.StatusTooManyRequests, ContentLength: -1,
				Body: io.NopCloser(struct{ io.Reader }{strings.NewReader(text)})}
			wrap(p, resp, 1000, nil) //nolint:bodyclose // read ahead: the call ends without the application
			deadline := time.Now().Add(5 * time.Second)
			for len(p.queue) == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if r := queuedResponse(t, p).Response; r.Body != text || r.BodyOmitted != "" {
				t.Errorf("response event body %d bytes, omitted %q; want the %d bytes", len(r.Body), r.BodyOmitted, size)
			}
		})
	}
}

// TestCompressedBodyDecodedByThePublisher: a body the application asked
// for compressed is decoded when its event is completed, on the
// publisher's goroutine, not at the end of the application's read; a
// body that does not decode is left out ("encoded"), one that decodes
// longer than the limit is truncated.
func TestCompressedBodyDecodedByThePublisher(t *testing.T) {
	gz := func(s string) string {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write([]byte(s))
		_ = zw.Close()
		return b.String()
	}
	const answer = `{"usage":{"prompt_tokens":31,"completion_tokens":7}}`
	long := strings.Repeat("x", 5000) // about 50 bytes compressed
	for _, tc := range []struct {
		name, body, want, omitted string
	}{
		{"decoded", gz(answer), answer, ""},
		{"truncated", gz(long), long[:1000], "truncated"},
		{"not gzip", "not gzip at all", "", "encoded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := queuePublisher()
			resp := &http.Response{StatusCode: http.StatusOK, ContentLength: -1,
				Header: http.Header{"Content-Encoding": {"gzip"}}, Body: io.NopCloser(strings.NewReader(tc.body))}
			resp = wrap(p, resp, 1000, nil)
			if got, err := io.ReadAll(resp.Body); err != nil || string(got) != tc.body {
				t.Fatalf("read %q, %v; want the vendor's bytes", got, err)
			}
			_ = resp.Body.Close()
			q := <-p.queue
			if q.decode == nil || q.ev.Response.Body != tc.body {
				t.Fatalf("queued response body %q (decode %v); want the compressed bytes, left to the publisher", q.ev.Response.Body, q.decode)
			}
			r := q.complete().Response
			if r.Body != tc.want || r.BodyOmitted != tc.omitted {
				t.Errorf("completed: body %.40q, omitted %q; want %.40q, %q", r.Body, r.BodyOmitted, tc.want, tc.omitted)
			}
			if r2 := q.complete().Response; r2.Body != r.Body || r2.BodyOmitted != r.BodyOmitted { // decoded once
				t.Errorf("completed again: body %.40q, omitted %q; want them unchanged", r2.Body, r2.BodyOmitted)
			}
		})
	}
}

// TestGrownCopyCutToSize: a stream longer than 4 KiB that follows long ones
// grows its copy at once to their size (grow); when it ends much shorter,
// its queued event keeps a copy of its own size, not the grown one.
func TestGrownCopyCutToSize(t *testing.T) {
	const calls, size = 50, 9_000
	held := heldByQueuedEvents(t, calls, size, -1, DefaultMaxBodyBytes, func(p *Publisher) {
		p.streamSize.Store(240_000) // as after a long stream
	})
	if limit := int64(calls * 4 * size); held > limit {
		t.Errorf("%d queued events of %d-byte streams hold %d KiB; want below %d KiB", calls, size, held>>10, limit>>10)
	}
}

// TestKnownLengthBoundsTheCopy: a body of known length longer than what is
// allocated up front (upFront) grows its copy to its length, not to twice
// the copy's size: the queued events keep what their bodies need.
func TestKnownLengthBoundsTheCopy(t *testing.T) {
	const calls, size = 20, 300_000
	held := heldByQueuedEvents(t, calls, size, size, 4<<20, func(*Publisher) {})
	if limit := int64(calls * size * 5 / 4); held > limit {
		t.Errorf("%d queued events of %d-byte bodies hold %d KiB; want below %d KiB", calls, size, held>>10, limit>>10)
	}
}

// heldByQueuedEvents records calls bodies of size bytes (of the given
// Content-Length, -1 for unknown; before each, as set by before), read
// whole by Read calls, and returns the heap their queued response events
// hold.
func heldByQueuedEvents(t *testing.T, calls, size int, length int64, limit int, before func(*Publisher)) int64 {
	t.Helper()
	p := queuePublisher()
	p.queue = make(chan queued, calls)
	text := strings.Repeat("data: {}\n\n", size/10)
	heap := func() int64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	start := heap()
	for range calls {
		before(p)
		// A Reader without WriterTo: the copy is made Read by Read.
		resp := &http.Response{StatusCode: http.StatusOK, ContentLength: length,
			Body: io.NopCloser(struct{ io.Reader }{strings.NewReader(text)})}
		resp = wrap(p, resp, limit, nil)
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	held := heap() - start
	t.Logf("%d queued events of %d-byte bodies hold %d KiB", calls, size, held>>10)
	if got := len(p.queue); got != calls {
		t.Fatalf("%d events queued, want %d", got, calls)
	}
	runtime.KeepAlive(p)
	return held
}
