package harborai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/otel/trace"

	"github.com/harborai/ingest/pkg/event"
)

// recording is one call the Transport records, from its request to its
// response event.
type recording struct {
	started  time.Time // with the monotonic clock's reading
	pub      *Publisher
	events   *callEvents // where its events are built; the response event holds the call's header meanwhile
	span     trace.Span  // nil without tracing
	provider string
	stream   bool
	deferred bool            // the events leave their ids (and model) to the publisher: later
	ctx      context.Context // the request's, to tell the caller's cancellation apart
	url      *url.URL        // the request's, whose secrets error messages leave out
	body     body            // the response body's wrapper, allocated with the rest
	extra    *extra          // what few calls need; nil for most
}

// extra is what a recording needs on the rarer paths, apart, so that the
// recording of every call stays in a smaller size class.
type extra struct {
	tee *teeBody // the request body, when it is copied as it is sent
	op  string   // the call's operation, for the span's name once tee has read the model
	// sent is the Transport's map of requests in flight to the copies
	// the base got, for a base with CancelRequest; req is this call's.
	sent *sync.Map
	req  *http.Request
}

// more is r.extra, made if need be.
func (r *recording) more() *extra {
	if r.extra == nil {
		r.extra = new(extra)
	}
	return r.extra
}

// redactMessage is redactMessage(msg, the request's URL).
func (r *recording) redactMessage(msg string) string { return redactMessage(msg, r.url) }

func newRecording(pub *Publisher, ctx context.Context, started time.Time, provider string, stream bool) *recording {
	return &recording{started: started, pub: pub, provider: provider, stream: stream, ctx: ctx, events: new(callEvents)}
}

// later is what the events leave to the publisher (deferred.go), or nil.
func (r *recording) later() *deferred {
	if r.deferred {
		return &r.events.later
	}
	return nil
}

// now is the time now, as the call's start plus the monotonic clock's
// reading since: one clock read, where time.Now takes two (wall and
// monotonic), and a call's times that never run backwards.
func (r *recording) now() time.Time { return r.started.Add(time.Since(r.started)) }

// header is what every event of the call repeats, in the response event
// until the end.
func (r *recording) header() *event.Event { return &r.events.resp.ev }

// request publishes the request event.
func (r *recording) request(req event.Request) {
	x := &r.events.req
	x.set(r.header(), req)
	r.enqueueRequest()
}

// enqueueRequest publishes the request event, set already.
func (r *recording) enqueueRequest() {
	_ = r.pub.enqueue(queued{ev: &r.events.req.ev, later: r.later()}) // the publisher counts what it drops
}

// finish publishes the response event (body is the response body as read,
// nil when there is none; compressed when decode says how to decode it)
// and ends the span. It runs once per call.
func (r *recording) finish(resp event.Response, body []byte, decode *laterDecode) {
	if x := r.extra; x != nil {
		if x.tee != nil {
			// The request event first, if the body is not read yet; and
			// what the body said, which the response event repeats.
			stream, model := x.tee.end()
			h := r.header()
			h.Stream = h.Stream || stream
			named := h.Model != ""
			if h.Model == "" && !r.deferred {
				h.Model = model
			}
			if r.span != nil {
				spanLearnt(r.span, x.op, !named && h.Model != "", h.Model, stream && !r.stream)
			}
			r.stream = r.stream || stream
		}
		if x.sent != nil {
			x.sent.Delete(x.req) // no longer cancellable through the base
		}
	}
	if resp.FinishedAt.IsZero() {
		resp.FinishedAt = r.now().UTC()
	}
	if len(body) > 0 {
		resp.Body = bytesToString(body) // body is not written to after the end
	}
	x := &r.events.resp
	x.setResponse(resp, r.pub.opts.now)
	x.ev.Kind, x.ev.Response = event.KindResponse, &x.resp
	_ = r.pub.enqueue(queued{ev: &x.ev, later: r.later(), decode: decode})
	if r.span != nil {
		endSpan(r, &resp, body)
	}
}

// streamBuffer is the capacity the copy of a response body of unknown
// length (a stream, mostly) grows to when it outgrows its first 4 KiB
// (grow), within the limit: a little more than recent such bodies took, at
// least 4 KiB and at most upFront.
func (p *Publisher) streamBuffer(limit int) int {
	n := int(min(p.streamSize.Load(), upFront))
	return min(max(n+n/8, 4<<10), upFront, limit)
}

// noteStreamSize remembers n, the bytes of a body of unknown length kept,
// for streamBuffer: only when it differs enough from what is remembered,
// so that concurrent calls of alike sizes do not all write it.
func (p *Publisher) noteStreamSize(n int64) {
	if old := p.streamSize.Load(); n > old+old/8 || n < old-old/4 {
		p.streamSize.Store(n)
	}
}

// errClosedEarly stands for the caller's Close before the end of the body.
var errClosedEarly = errors.New("closed before EOF")

// body wraps a recorded response body: each Read passes the bytes on as
// they come and copies them, up to the size limit, for the response event,
// which is published at EOF, at a read error or at Close.
type body struct {
	rc     io.ReadCloser
	rec    *recording
	status int
	length int64 // Content-Length, -1 when unknown
	limit  int
	omit   string // why the event carries no body: "encoded", "disabled"; "" = it does
	// encoding is the Content-Encoding of a body the caller asked for
	// compressed, that the event carries decoded: "gzip", "deflate", "br"
	// or "zstd".
	encoding string
	hide     *usageFilter // hides the usage-only chunk; nil when not asked
	gotOne   bool         // a byte reached the caller (Read's own)

	mu        sync.Mutex // Read against Close
	first     time.Time  // when the first byte reached the caller
	buf       []byte
	read      int64
	truncated bool
	tail      []byte // the last bytes: once over the limit, or all along when the body is omitted
	done      bool
	plain     *plainBody // buf decoded, once complete needed it; nil before
}

// plainBody is a compressed body decoded, and what the event says of it
// (decodeBody).
type plainBody struct {
	data []byte
	omit string
}

// wrapBody wraps resp.Body for rec, the caller reading a 200's through hide
// when not nil, and returns the response to give the caller: resp, or a
// copy of it when its body is read ahead (readAhead). Upgraded connections
// (101) are not wrapped: their body is also a writer.
func wrapBody(resp *http.Response, rec *recording, limit int, hide *usageFilter) *http.Response {
	b := &rec.body
	b.rc, b.rec, b.status, b.length, b.limit = resp.Body, rec, resp.StatusCode, resp.ContentLength, limit
	encoded := false
	// Codings are case-insensitive (RFC 9110): "Identity" is no coding.
	if enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc != "" && enc != "identity" {
		// Compressed bytes: the caller asked for them raw. The event gets
		// them decoded, where the standard codings are.
		encoded = true
		switch enc {
		case "gzip", "x-gzip":
			b.encoding = "gzip"
		case "deflate", "br", "zstd":
			b.encoding = enc
		default:
			b.omit = "encoded"
		}
	}
	if limit == 0 {
		b.omit = "disabled"
	}
	if resp.Body != nil && resp.Body != http.NoBody {
		switch {
		case resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified:
			// No body, by HTTP: the call ends now, whatever the application
			// does with it (HTTP/2 gives an empty reader, not http.NoBody),
			// and the body is left as the base gave it.
			b.mu.Lock()
			b.end(io.EOF)
			b.mu.Unlock()
			return resp
		case b.length == 0:
			// net/http gives http.NoBody for an empty body: this one was
			// made by hand (a test double, a cache), which may leave the
			// length at 0 before bytes. It is read as of unknown length.
			b.length = -1
		}
	}
	if resp.StatusCode == http.StatusOK && hide != nil && !encoded && resp.Body != nil {
		// The filter works on lines, which compressed bytes do not have.
		// What it hides makes the body shorter than the vendor said: a
		// stream has no length anyway.
		b.hide = hide
		resp.ContentLength = -1
		resp.Header.Del("Content-Length")
	}
	if resp.Body == nil || resp.Body == http.NoBody || resp.StatusCode == http.StatusSwitchingProtocols {
		b.mu.Lock()
		b.end(io.EOF)
		b.mu.Unlock()
		return resp
	}
	switch {
	case b.omit != "":
	case b.length >= 0:
		b.buf = make([]byte, 0, min(b.length, int64(limit), upFront))
	default:
		b.buf = make([]byte, 0, min(4<<10, limit)) // a short stream's size; see grow
	}
	// A body with trailers is read by the application only: net/http
	// writes resp.Trailer when it reads the end of the body, and the
	// application may be reading the map meanwhile (httputil.ReverseProxy
	// does).
	if resp.StatusCode < 400 || b.length > int64(min(limit, upFront)) || b.omit != "" || resp.Trailer != nil {
		resp.Body = b
		return resp
	}
	// SDKs that retry a 429 or a 5xx (openai-go's, among others) drop the
	// response they retry, unread and unclosed: its event would never be
	// published. An error body (the vendor's error object) is read ahead,
	// on a goroutine of its own, as soon as its headers are here, up to the
	// limit and 256 KiB: the call ends when it is read, whatever the
	// application does, and the application reads the same bytes as they
	// come.
	//
	// The caller gets a copy of resp: net/http writes the trailers into
	// resp when it reads the body's end, on the goroutine reading ahead;
	// the caller's copy gets them when its own read reaches the end, as
	// with the base alone.
	app := new(http.Response)
	*app = *resp
	app.Body = b.readAhead(min(limit, upFront), resp, app)
	return app
}

// readAhead starts reading the body, up to its length or, when that is
// unknown, most bytes and one more, and returns what gives it to the
// application. Once the body is read, the call is ended and the vendor's
// body closed. A body of unknown length longer than most is handed over:
// the application reads the rest through b, and the call ends as any
// other's.
func (b *body) readAhead(most int, vendor, app *http.Response) io.ReadCloser {
	size := most + 1 // one byte more: a body of exactly most bytes ends here too
	if b.length >= 0 {
		size = int(b.length) // <= most
	}
	rb := &readBack{b: b, vendor: vendor, app: app}
	rb.cond.L = &rb.mu
	go func() {
		buf := make([]byte, 0, min(size, 4<<10))
		var err error
		for err == nil && len(buf) < size {
			if len(buf) == cap(buf) {
				grown := make([]byte, len(buf), min(2*cap(buf), size))
				copy(grown, buf)
				rb.mu.Lock() // the application reads rb.data under it
				buf, rb.data = grown, grown
				rb.mu.Unlock()
			}
			var n int
			n, err = b.rc.Read(buf[len(buf):cap(buf)])
			if n > 0 {
				chunk := buf[len(buf) : len(buf)+n]
				buf = buf[:len(buf)+n]
				b.mu.Lock()
				if !b.gotOne {
					b.gotOne, b.first = true, b.rec.now()
				}
				b.capture(chunk)
				b.mu.Unlock()
				rb.mu.Lock()
				rb.data = buf
				rb.cond.Broadcast()
				rb.mu.Unlock()
			}
		}
		handOver := err == nil && b.length < 0 // more than most bytes: the rest comes through b
		if err == nil {
			err = io.EOF // the length read: net/http would say so next
		}
		// From here the application's Close ends the call itself, unless it
		// came first: one of the two sees the other under mu.
		rb.mu.Lock()
		closed, ended := rb.closed, err
		rb.ending = true
		if rb.grace != nil {
			rb.grace.Stop()
		}
		rb.mu.Unlock()
		if closed && (handOver || !errors.Is(err, io.EOF)) {
			// Closed by the application before the end: the read cut by
			// closeGrace, or more to come.
			ended = errClosedEarly
		}
		if !handOver || closed {
			// Ended before the application can see the end.
			b.mu.Lock()
			b.end(ended)
			b.mu.Unlock()
			_ = rb.closeBase()
		}
		if closed {
			b.rec.pub.lingering.Add(-1) // its Close's closeGrace: the event is queued
		}
		rb.mu.Lock()
		rb.done, rb.handOver, rb.err = true, handOver, err
		rb.cond.Broadcast()
		rb.mu.Unlock()
	}()
	return rb
}

// closeGrace is how long an error body read ahead is still read after the
// application closed it unread (the Anthropic SDK closes each response it
// retries): the vendor's error object is nearly always here already, in
// net/http's buffer, and the call keeps it. Past that the vendor's body is
// closed, and the call ends with what was read. Meanwhile its connection
// is busy (net/http would close it at the application's Close): a short
// wait, for a body still on its way.
const closeGrace = 20 * time.Millisecond

// readBack gives the application a body read ahead (body.readAhead): a
// Read returns the bytes read so far, waiting for some as a Read of the
// vendor's body would, then the error the body ended with.
type readBack struct {
	b *body
	// vendor is the response net/http gave, app the caller's copy, which
	// gets the trailers once the caller reads the body's end.
	vendor, app *http.Response

	mu       sync.Mutex
	cond     sync.Cond // on mu: data grew, the body ended, or Close
	data     []byte    // read so far
	off      int       // given to the application
	done     bool      // the reading ended: err set
	handOver bool      // after data, the application reads through b
	err      error     // io.EOF, or why the body was cut
	closed   bool

	closeOnce sync.Once   // the vendor's body is closed once
	closeErr  error       // what that Close returned
	grace     *time.Timer // closes the vendor's body closeGrace after the application's Close; nil before
	ending    bool        // the reading is over and has taken closed into account
}

// errReadClosed is what net/http's bodies return once closed.
var errReadClosed = errors.New("http: read on closed response body")

func (rb *readBack) Read(p []byte) (int, error) {
	rb.mu.Lock()
	if len(p) == 0 && !rb.closed {
		rb.mu.Unlock()
		return 0, nil // as a Read of the vendor's body: no waiting for bytes
	}
	for !rb.closed && !rb.done && rb.off == len(rb.data) {
		rb.cond.Wait()
	}
	switch {
	case rb.closed:
		rb.mu.Unlock()
		return 0, errReadClosed
	case rb.off < len(rb.data):
		n := copy(p, rb.data[rb.off:])
		rb.off += n
		rb.mu.Unlock()
		return n, nil
	case rb.handOver:
		rb.mu.Unlock()
		n, err := rb.b.Read(p)
		if errors.Is(err, io.EOF) {
			rb.app.Trailer = rb.vendor.Trailer // written by net/http in that Read
		}
		return n, err
	}
	err := rb.err
	if errors.Is(err, io.EOF) {
		// Written by net/http on the goroutine reading ahead, before it
		// took mu to say the body ended.
		rb.app.Trailer = rb.vendor.Trailer
	}
	rb.mu.Unlock()
	return 0, err
}

// Close stops the application's reads. While the body is still read ahead,
// the reading goes on for closeGrace at most and ends the call (closeGrace);
// the application does not wait for it. Else it ends the call, if the
// reading did not (the application was to read the rest through b:
// abandoned, as closing the vendor's body early is), and closes the
// vendor's body.
func (rb *readBack) Close() error {
	rb.mu.Lock()
	if rb.closed {
		rb.mu.Unlock()
		return nil
	}
	rb.closed = true
	rb.cond.Broadcast()
	if !rb.ending {
		rb.b.rec.pub.lingering.Add(1) // Publisher.Close waits for the event
		rb.grace = time.AfterFunc(closeGrace, func() { _ = rb.closeBase() })
		rb.mu.Unlock()
		return nil
	}
	rb.mu.Unlock()
	rb.b.mu.Lock()
	rb.b.end(errClosedEarly) // a no-op once the reading ended it
	rb.b.mu.Unlock()
	return rb.closeBase()
}

// closeBase closes the vendor's body once, whether the read-ahead or the
// application's Close comes first, and returns what that Close returned.
func (rb *readBack) closeBase() error {
	rb.closeOnce.Do(func() { rb.closeErr = rb.b.rc.Close() })
	return rb.closeErr
}

// Read implements io.Reader.
func (b *body) Read(p []byte) (int, error) {
	if b.hide != nil {
		return b.readHiding(p)
	}
	n, err := b.rc.Read(p)
	if n > 0 || err != nil {
		b.mu.Lock()
		if n > 0 && !b.gotOne {
			b.gotOne, b.first = true, b.rec.now()
		}
		b.capture(p[:n])
		if err != nil {
			b.end(err)
		}
		b.mu.Unlock()
	}
	return n, err
}

// readHiding reads through the usage filter: the event gets the raw bytes,
// the caller the filtered ones. It reads the vendor's bytes itself, at
// least 512 at a time (the filter works by lines, and a caller reading a
// byte at a time must not cost a call per byte), into the free end of the
// event's buffer while the body fits, and filters them only as far as the
// caller asks: the first line reaches the caller before the rest of a large
// read is looked at.
func (b *body) readHiding(p []byte) (int, error) {
	if b.hide.closed.Load() {
		return 0, errReadClosed // not what the filter holds
	}
	if len(p) == 0 {
		return 0, nil
	}
	f := b.hide
	for {
		if n := f.fill(p); n > 0 {
			b.mu.Lock()
			if !b.gotOne {
				b.gotOne, b.first = true, b.rec.now()
			}
			f.gave(p[:n])
			b.mu.Unlock()
			return n, nil
		}
		// Nothing to give: rest is used up.
		switch {
		case b.hide.err != nil && len(f.line) > 0:
			f.flush()
		case b.hide.err != nil:
			b.mu.Lock()
			b.end(b.hide.err)
			b.mu.Unlock()
			return 0, b.hide.err
		default:
			b.mu.Lock()
			buf, kept := b.readBuf(len(p))
			b.mu.Unlock()
			n, err := b.rc.Read(buf)
			if n > 0 {
				b.mu.Lock()
				if kept {
					b.captured(n)
				} else {
					b.capture(buf[:n])
				}
				b.mu.Unlock()
				f.rest = buf[:n]
			}
			if err != nil {
				b.hide.err = err
			} else if n == 0 {
				return 0, nil
			}
		}
	}
}

// Close implements io.Closer. Closing before EOF abandons the call unless
// what was read is already the whole body. The call ends before the body
// is closed: a Read blocked meanwhile on another goroutine then fails
// because of this Close, not of the connection.
func (b *body) Close() error {
	if b.hide != nil {
		b.hide.closed.Store(true)
	}
	b.mu.Lock()
	b.end(errClosedEarly)
	b.mu.Unlock()
	return b.rc.Close()
}

// readBuf returns where readHiding reads the vendor's next bytes (up to
// the caller's size, at least 512 bytes and at most 64 KiB) and whether
// that is the free end of the event's buffer, which spares a copy while the
// body fits the limit; else the filter's own buffer. The event's buffer
// grows as append would, up to the limit and the body's length (it was
// made smaller when either is large). b.mu is held.
func (b *body) readBuf(n int) ([]byte, bool) {
	n = min(max(n, 512), 64<<10)
	if !b.done && b.omit == "" && !b.truncated {
		if cap(b.buf)-len(b.buf) < 512 && cap(b.buf) < b.limit && (b.length < 0 || int64(cap(b.buf)) < b.length) {
			b.grow(max(len(b.buf), 512))
		}
		if free := min(cap(b.buf), b.limit) - len(b.buf); free > 0 {
			return b.buf[len(b.buf) : len(b.buf)+min(n, free)], true
		}
	}
	return b.hide.scratch(n), false
}

// grow makes room in the event's copy for n more bytes; b.mu is held. A
// body of unknown length starts with 4 KiB, a short stream's size: when it
// outgrows them, its copy grows at once to about the size of recent such
// bodies (streamBuffer), so that a long stream's bytes are copied about
// once, where growing step by step copied them again at every step (a
// 91 KB stream cost 184 KB, TestLongStreamCopiedOnce). Short bodies never
// pay for a long one; a copy grown for more than its body needs is cut to
// size at the end.
func (b *body) grow(n int) {
	// Twice the size, as append would, but not past the limit, nor the
	// length when it is known.
	c := max(len(b.buf)+n, min(2*cap(b.buf), b.limit))
	switch {
	case b.length >= 0:
		c = min(c, max(len(b.buf)+n, int(min(b.length, int64(b.limit)))))
	case cap(b.buf) <= 4<<10:
		c = max(c, b.rec.pub.streamBuffer(b.limit))
	}
	b.buf = append(make([]byte, 0, c), b.buf...)
}

// captured counts n bytes read into the free end of the event's buffer,
// as capture does; b.mu is held. They were read after readBuf, maybe after
// the end: the event's body, if published, ends before them.
func (b *body) captured(n int) {
	if b.done {
		return
	}
	b.read += int64(n)
	b.buf = b.buf[:len(b.buf)+n]
}

// capture copies p for the event; b.mu is held.
func (b *body) capture(p []byte) {
	if b.done || len(p) == 0 {
		return
	}
	b.read += int64(len(p))
	if b.omit != "" {
		b.keepLast(p) // for complete's end markers
		return
	}
	if room := b.limit - len(b.buf); room > 0 {
		n := min(room, len(p))
		if len(b.buf)+n > cap(b.buf) {
			b.grow(n)
		}
		b.buf = append(b.buf, p[:n]...)
		p = p[n:]
		if len(p) == 0 {
			return
		}
	}
	b.truncated = true
	keep := max(tailKeep(b.limit), markerWindow) // complete looks at markerWindow
	b.tail = append(b.tail, p...)
	if len(b.tail) > 2*keep {
		b.tail = append(b.tail[:0], b.tail[len(b.tail)-keep:]...)
	}
}

// keepLast keeps in tail the last markerWindow bytes of the body, at
// least, for a body not otherwise kept; b.mu is held.
func (b *body) keepLast(p []byte) {
	if b.tail == nil {
		b.tail = make([]byte, 0, 2*markerWindow)
	}
	if len(p) >= markerWindow {
		b.tail = append(b.tail[:0], p[len(p)-markerWindow:]...)
		return
	}
	if len(b.tail)+len(p) > cap(b.tail) {
		b.tail = append(b.tail[:0], b.tail[len(b.tail)-markerWindow:]...)
	}
	b.tail = append(b.tail, p...)
}

// tailKeep is how much of the end of a body over the limit the event
// keeps: a stream's usage comes last.
func tailKeep(limit int) int { return min(64<<10, limit/4) }

// truncatedBody is the head of a body over the limit joined to the lines
// of its tail, at most limit bytes in all.
func (b *body) truncatedBody() []byte {
	t := b.tail[len(b.tail)-min(tailKeep(b.limit), len(b.tail)):]
	if i := bytes.IndexByte(t, '\n'); i >= 0 {
		t = t[i+1:] // from the first whole line
	}
	head := b.buf[:max(0, b.limit-len(t)-1)]
	out := make([]byte, 0, len(head)+1+len(t))
	out = append(append(append(out, head...), '\n'), t...)
	return out
}

// markerWindow is how much of the end of a body complete looks at.
const markerWindow = 512

// end publishes the call's response once; b.mu is held. err is io.EOF at
// the end of the body, errClosedEarly at Close, or the read error.
func (b *body) end(err error) {
	if b.done {
		return
	}
	b.done = true
	// Whole: read to its end, or closed after its last event, as SDKs
	// close a stream at [DONE].
	whole := errors.Is(err, io.EOF) || errors.Is(err, errClosedEarly) && b.complete()
	if b.length < 0 && b.omit == "" && b.status < 400 && whole && b.read > 0 {
		b.rec.pub.noteStreamSize(min(b.read, int64(b.limit)))
	}
	if c := cap(b.buf); c > 4<<10 && c > 2*len(b.buf) {
		// Grown for a longer body than this one (grow): the event keeps
		// no more than it needs while it waits to be published.
		b.buf = bytes.Clone(b.buf)
	}
	resp := event.Response{HTTPStatus: b.status, FinishedAt: b.rec.now().UTC()}
	if !b.first.IsZero() {
		b.first = b.first.UTC()
		resp.FirstByteAt = &b.first // copied by setResponse
	}
	var kept []byte
	var later *laterDecode
	switch {
	case whole:
		resp.Status = event.StatusSuccess
	case errors.Is(err, errClosedEarly), errors.Is(err, context.Canceled) && b.rec.ctx.Err() != nil:
		resp.Status = event.StatusAbandoned
	default:
		// A cut body is left out: no usage is read from half a reply.
		resp.Status, resp.ErrorType, resp.ErrorMessage = event.StatusError, errorType(err, b.rec.ctx), b.rec.redactMessage(err.Error())
		resp.BodyOmitted = "incomplete"
	}
	if b.status >= 400 || isRedirect(b.status) {
		// No completion came of it; a redirect is another call, which
		// http.Client makes.
		resp.Status = event.StatusError
		if resp.ErrorType == "" {
			resp.ErrorType = httpErrorType(b.status)
		}
	}
	switch {
	case resp.BodyOmitted != "":
	case b.omit != "":
		if b.read > 0 {
			resp.BodyOmitted = b.omit
		}
	case b.encoding != "" && (b.rec.span != nil || b.truncated || len(b.buf) == 0 || b.plain != nil):
		// A span reads the usage from the body now; what needs no
		// decoding is said now; complete may have decoded it already.
		kept, resp.BodyOmitted = b.decoded()
	case b.encoding != "":
		// Decoded by the publisher, on its goroutine: the application's
		// pays only for reading.
		kept, later = b.buf, &laterDecode{encoding: b.encoding, limit: b.limit}
	case b.truncated:
		kept, resp.BodyOmitted = b.truncatedBody(), "truncated"
	default:
		kept = b.buf
	}
	b.rec.finish(resp, kept, later)
	b.buf, b.tail, b.plain = nil, nil, nil
}

// isRedirect reports whether status sends the client elsewhere (300, 301,
// 302, 303, 307, 308; not 304 Not Modified, an answer of its own).
func isRedirect(status int) bool {
	switch status {
	case http.StatusMultipleChoices, http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// decoded is the compressed body read, decoded, at most the limit, and
// what the event says of it: "truncated" when longer; nil and "encoded"
// when the compressed bytes were cut at the limit or cannot be decoded.
// b.mu is held.
func (b *body) decoded() ([]byte, string) {
	if b.truncated || len(b.buf) == 0 {
		if b.read == 0 {
			return nil, ""
		}
		return nil, "encoded"
	}
	if b.plain == nil {
		data, omit := decodeBody(b.encoding, b.buf, b.limit)
		b.plain = &plainBody{data, omit}
	}
	return b.plain.data, b.plain.omit
}

// decodeBody decodes data, a body in encoding, up to limit bytes, and says
// what the event says of it: "truncated" when longer; nil and "encoded"
// when it does not decode. Compressed bytes that end early (a stream the
// application closed, a vendor that flushes each event and sends the
// format's trailer only at the end) give what they decode to: the body
// as far as it was read, as for an uncompressed body.
func decodeBody(encoding string, data []byte, limit int) ([]byte, string) {
	var zr io.Reader
	var err error
	switch encoding {
	case "gzip":
		zr, err = gzip.NewReader(bytes.NewReader(data))
	case "deflate":
		// RFC 9110: zlib's format; some servers send raw deflate.
		if zr, err = zlib.NewReader(bytes.NewReader(data)); err != nil {
			zr, err = flate.NewReader(bytes.NewReader(data)), nil
		}
	case "br":
		zr = brotli.NewReader(bytes.NewReader(data))
	case "zstd":
		var zd *zstd.Decoder
		// One goroutine, the caller's: no decoder goroutines to stop.
		zd, err = zstd.NewReader(bytes.NewReader(data), zstd.WithDecoderConcurrency(1))
		if err == nil {
			defer zd.Close()
			zr = zd
		}
	default:
		err = errors.New("unknown encoding")
	}
	if err != nil {
		return nil, "encoded"
	}
	out, err := io.ReadAll(io.LimitReader(zr, int64(limit)+1))
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) && len(out) > 0:
	case err != nil:
		return nil, "encoded"
	case len(out) > limit:
		return out[:limit], "truncated"
	}
	return out, ""
}

// complete reports whether what was read is the whole body, for a caller
// that closes without reading EOF (SDKs stop at a stream's last event, JSON
// decoders at the end of the document).
func (b *body) complete() bool {
	last := b.buf
	switch {
	case b.encoding != "":
		// The markers are in the decoded text: what the application read
		// through its decoder.
		if b.length >= 0 && b.read == b.length {
			return true
		}
		plain, omit := b.decoded()
		if plain == nil || omit == "truncated" {
			return false
		}
		if tail := plain[max(0, len(plain)-markerWindow):]; hasStreamEnd(tail) {
			return true
		}
		return !b.rec.stream && json.Valid(plain)
	case b.hide != nil:
		// What the caller was given: the filter reads ahead of it, and a
		// caller that closes before the end marker reached it stopped
		// early, whatever the filter holds. A body of known length is
		// whole once the caller was given every byte read but those
		// hidden.
		if b.length >= 0 && b.read == b.length && b.hide.gaveAll+b.hide.hidden.Load() == b.read {
			return true
		}
		last = b.hide.lastGiven()
	case b.length >= 0 && b.read == b.length:
		return true
	case b.truncated || b.omit != "":
		last = b.tail
	}
	if len(last) > markerWindow {
		last = last[len(last)-markerWindow:]
	}
	if hasStreamEnd(last) {
		return true
	}
	return !b.rec.stream && !b.truncated && len(b.buf) > 0 && json.Valid(b.buf)
}

// hasStreamEnd reports whether tail, a body's last bytes, has a stream's
// end marker.
func hasStreamEnd(tail []byte) bool {
	for _, m := range streamEnds {
		if bytes.Contains(tail, []byte(m)) {
			return true
		}
	}
	return false
}

// teesBody reports whether req's body is to be copied as the base
// transport sends it, rather than read before: a body with no GetBody whose
// length is unknown (a pipe, a generator: reading it first could wait for
// a server that is not asked yet, or for ever), or that is to wait for the
// server's 100 Continue. Such a call is recorded as it is sent: its body
// is not rewritten to ask for a stream's usage, and its model, unless its
// URL says, is the one the response names.
func teesBody(req *http.Request, limit int) bool {
	if req.GetBody != nil || req.Body == nil || req.Body == http.NoBody || limit == 0 {
		return false
	}
	return req.ContentLength <= 0 || strings.EqualFold(strings.TrimSpace(req.Header.Get("Expect")), "100-continue")
}

// teeBody is a request body copied as the base transport reads it, up to
// the limit. The request event is published at its end (EOF, a read
// error), at its Close, or at the end of the call, whichever comes first:
// the base transport may still be sending it when the response has come,
// or never read it (a refused 100 Continue).
type teeBody struct {
	rc     io.ReadCloser
	rec    *recording
	length int64 // the request's ContentLength; <= 0 when unknown
	limit  int

	mu        sync.Mutex
	buf       []byte
	read      int64
	truncated bool
	done      bool   // the request event is published
	stream    bool   // the body asks for a stream
	model     string // the model the body names
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	t.mu.Lock()
	if !t.done {
		t.read += int64(n)
		if room := t.limit - len(t.buf); room > 0 {
			t.buf = append(t.buf, p[:min(n, room)]...)
		}
		t.truncated = t.truncated || t.read > int64(t.limit)
		if err != nil {
			t.publish(errors.Is(err, io.EOF))
		}
	}
	t.mu.Unlock()
	return n, err
}

// Close publishes the request event if the body's end was not read: whole
// when as many bytes as its length were.
func (t *teeBody) Close() error {
	t.mu.Lock()
	if !t.done {
		t.publish(t.length > 0 && t.read == t.length)
	}
	t.mu.Unlock()
	return t.rc.Close()
}

// end publishes the request event at the end of the call, if the body was
// not read to its end or closed by then, and returns whether the body asks
// for a stream and the model it names, for the response event.
func (t *teeBody) end() (stream bool, model string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.done {
		t.publish(t.length > 0 && t.read == t.length)
	}
	return t.stream, t.model
}

// publish publishes the request event, with the body when whole was read
// ("truncated" past the limit), else without ("incomplete"); t.mu is held.
func (t *teeBody) publish(whole bool) {
	t.done = true
	req := &t.rec.events.req.req
	switch {
	case !whole:
		req.BodyOmitted = "incomplete"
	case t.truncated:
		req.Body, req.BodyOmitted = bytesToString(t.buf), "truncated"
	default:
		req.Body = bytesToString(t.buf)
	}
	if req.Body != "" {
		// What the body says, as for a body read before the call. Neither
		// event is queued yet: the response event waits for end.
		f, _ := inspectBody(req.Body)
		t.stream, t.model = f.stream, f.model
		x := &t.rec.events.req.ev
		x.Stream = x.Stream || f.stream
		if l := t.rec.later(); l != nil && l.path != "" {
			l.body = req.Body // the publisher reads the model from it
		} else if x.Model == "" {
			x.Model = f.model
		}
	}
	t.buf = nil
	t.rec.enqueueRequest()
}
