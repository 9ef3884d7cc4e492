package harborai

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
)

// Transport is an http.RoundTripper that records the calls an application
// makes to LLM vendors through any SDK that accepts an *http.Client. It
// recognises the vendors' endpoints (and any base URL given with
// WithBaseURL); every other request goes to the base transport untouched,
// after a host lookup.
//
// For a recognised call it publishes a request event, and hands the
// response body to the application through a wrapper that passes each byte
// on as soon as it is read and keeps a copy; the response event follows
// when the application reaches the end of the body or closes it. On the
// caller's goroutine the Transport only copies and enqueues: the call's ids
// (unless WithOnCall or a span shows them there) and the model its body
// names are the Publisher's to fill in (deferred.go), publishing is its
// background work, and its trouble never becomes the application's error.
type Transport struct {
	pub  *Publisher
	base http.RoundTripper
	// send is where a call this Transport records goes: base, or, when
	// base is a Transport of the same publisher (a client wrapped twice),
	// the first base below that is not, so that the call is recorded once.
	// A Transport of another publisher (a library's own) records it too.
	send   http.RoundTripper
	match  matcher
	opts   transportOptions
	tracer trace.Tracer // nil: no spans

	headers   headerMemo
	endpoints endpointMemo

	// canceler is base, when it cancels requests by CancelRequest (an
	// older RoundTripper); sent maps a request in flight to the copy the
	// base got, for it.
	canceler canceler
	sent     sync.Map
}

// canceler is the interface http.Client uses to cancel a request through a
// RoundTripper that has it, besides the request's context.
type canceler interface{ CancelRequest(*http.Request) }

// CancelRequest cancels req through the base transport, when it has a
// CancelRequest method: http.Client calls it at its Timeout.
func (t *Transport) CancelRequest(req *http.Request) {
	out, mine := t.sent.Load(req)
	if inner, ok := t.base.(*Transport); ok && !mine {
		inner.CancelRequest(req) // a call it records, or sends as it is
		return
	}
	if t.canceler == nil {
		return
	}
	if mine {
		req = out.(*http.Request)
	}
	t.canceler.CancelRequest(req)
}

// NewTransport returns a Transport recording calls through base
// (http.DefaultTransport when nil) to pub. A nil pub records nothing.
func NewTransport(pub *Publisher, base http.RoundTripper, opts ...TransportOption) *Transport {
	o := defaultTransportOptions()
	for _, f := range opts {
		f(&o)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	m, errs := newMatcher(o.bases)
	t := &Transport{pub: pub, base: base, send: base, match: m, opts: o}
	for {
		inner, ok := t.send.(*Transport)
		if !ok || inner.pub != pub {
			break
		}
		t.send = inner.base
	}
	if _, ok := t.send.(*http.Transport); !ok {
		// http.Transport cancels by the request's context and Cancel
		// channel, which a copy keeps: only another base needs the map.
		t.canceler, _ = t.send.(canceler)
	}
	if pub != nil {
		for _, err := range errs {
			pub.opts.logger.Warn("harborai: transport option ignored", "err", err)
		}
		t.tracer = pub.tracer()
	}
	return t
}

// HTTPClient returns a copy of base (a zero http.Client when nil) whose
// transport records LLM calls: the one line an application adds.
//
//	client := pub.HTTPClient(nil)
func (p *Publisher) HTTPClient(base *http.Client, opts ...TransportOption) *http.Client {
	c := new(http.Client)
	if base != nil {
		*c = *base
	}
	c.Transport = NewTransport(p, c.Transport, opts...)
	return c
}

// RoundTrip implements http.RoundTripper. It returns what the base
// transport returns; the response body of a recorded call is wrapped.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.pub == nil {
		return t.base.RoundTrip(req)
	}
	a, ok := t.match.lookup(req)
	if !ok {
		return t.base.RoundTrip(req)
	}
	return t.record(req, a)
}

// CloseIdleConnections closes the base transport's idle connections, so
// http.Client.CloseIdleConnections works through the Transport.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// record makes one recognised call.
func (t *Transport) record(req *http.Request, a api) (*http.Response, error) {
	started := time.Now()
	var (
		body    reqBody
		out     *http.Request
		readErr error
		tee     *teeBody
	)
	if teesBody(req, t.opts.maxBody) {
		tee = &teeBody{rc: req.Body, length: req.ContentLength, limit: t.opts.maxBody}
		o := *req
		o.Body = tee
		out = &o
	} else {
		body, out, readErr = takeBody(req, t.opts.maxBody)
	}
	if readErr != nil {
		// The base transport would have failed the same way; the call is
		// recorded as failed all the same, so that it is counted.
		body, out = reqBody{omit: "incomplete"}, req
	}
	// A call whose ids someone sees on this goroutine (WithOnCall, a span)
	// gets them, and its model, here; any other leaves them to the
	// publisher (deferred.go), and has its body scanned only when it may
	// ask for a stream.
	seen := t.tracer != nil || t.opts.onCall != nil
	// A body longer than the event keeps (read whole: takeBody) has its
	// model read here too, so that the queued event holds no more of it.
	long := len(body.text) > t.opts.maxBody
	streamed := streams(req)
	var array [8]member // request bodies have a handful of members
	var f requestFields
	members := array[:0]
	if seen || long || streamed || mayStream(body.text) {
		f, members = inspectInto(members, body.text)
	}
	endpoint := t.endpoints.of(req.URL)
	info := CallInfo{
		Provider:  a.provider,
		Endpoint:  endpoint,
		Stream:    f.stream || streamed,
		StartedAt: started,
	}
	f0model := "" // the model the body named, as info.Model took it
	if seen || long {
		if info.Model = modelFromPath(req.URL.Path); info.Model == "" {
			info.Model, f0model = f.model, f.model
			if long {
				info.Model = strings.Clone(f.model) // not the whole body, which the events would keep
			}
		}
	}
	if ci, ok := callInfoFrom(req.Context()); ok {
		info.Tags, info.CustomPricing = ci.Tags, ci.CustomPricing
		if ci.Provider != "" {
			info.Provider, _ = parse.CanonicalProvider(ci.Provider) // "Kimi" is "moonshot", as in WithBaseURL
		}
		if ci.Model != "" {
			info.Model = ci.Model
		}
	}
	text := body.text // as the application sent it

	var hide *usageFilter
	// A request with trailers goes out chunked, which a body of known
	// length would not be: its trailers would be lost. A body whose length
	// is not the one declared (declared) fails in net/http, or goes out
	// cut: as it would without the Transport, it is sent as it is.
	declared := func(text string) bool { return req.ContentLength <= 0 || req.ContentLength == int64(len(text)) }
	if a.includeUsage && f.stream && t.opts.includeUsage && !body.truncated && req.Trailer == nil &&
		(out == req || declared(body.text)) && mayAddUsage(req, a.provider) {
		nb, ok := withIncludeUsage(body.text, f, members)
		if ok && out == req {
			// The body was read through GetBody. net/http would send Body,
			// which the new body replaces: Body is read and compared, not
			// copied (a middleware may have replaced Body and not GetBody).
			same, read, err := sameAsBody(req.Body, body.text)
			switch {
			case err != nil:
				_ = req.Body.Close()
				body, readErr, ok = reqBody{omit: "incomplete"}, err, false
			case same && !declared(read):
				_ = req.Body.Close()
				r := *req // Body, read, is sent as it was
				r.Body, ok = io.NopCloser(strings.NewReader(read)), false
				out = &r
			case same:
				_ = req.Body.Close() // the new body replaces it
			default:
				// Body is what goes out: read it (the bytes read so far, then
				// the rest), and look at it again.
				sent, o, err := readBody(&http.Request{Body: readCloser{io.MultiReader(strings.NewReader(read), req.Body), req.Body},
					ContentLength: req.ContentLength}, t.opts.maxBody)
				if err != nil {
					body, readErr, ok = reqBody{omit: "incomplete"}, err, false
					break
				}
				body, text = sent, sent.text
				f, members = inspectInto(members[:0], sent.text)
				info.Stream = f.stream || streamed
				if (seen || long) && info.Model == f0model {
					info.Model = f.model
					if len(sent.text) > t.opts.maxBody {
						info.Model = strings.Clone(f.model)
					}
				}
				nb, ok = "", false
				if f.stream && !sent.truncated && declared(sent.text) {
					nb, ok = withIncludeUsage(sent.text, f, members)
				}
				if !ok {
					r := *req
					r.Body, r.GetBody, r.ContentLength = o.Body, o.GetBody, o.ContentLength
					out = &r
				}
			}
		}
		if ok {
			s := new(rewritten)
			body.text, out, hide = nb, s.send(req, nb), &s.filter
		}
	}

	rec := newRecording(t.pub, req.Context(), started, info.Provider, info.Stream)
	if t.tracer != nil {
		var ctx context.Context
		ctx, rec.span = t.startSpan(req.Context(), a, info, req.URL)
		out = out.WithContext(ctx)
	}
	h := rec.header()
	t.pub.initHeader(h, req.Context(), info)
	if seen {
		putIDs(h, event.NewCallIDs(h.StartedAt))
	} else {
		rec.deferred = true
		if info.Model == "" && !long {
			rec.events.later.path, rec.events.later.body = req.URL.Path, text
		}
	}
	if rec.span != nil {
		adoptSpan(h, rec.span)
	}
	if t.opts.onCall != nil {
		t.opts.onCall(req, &Call{p: t.pub, header: *h})
	}
	evReq := event.Request{
		Method:      req.Method,
		URL:         publishedURL(req.URL, endpoint),
		Headers:     t.headers.redact(req.Header),
		Body:        body.kept(t.opts.maxBody),
		BodyOmitted: body.omitted(t.opts.maxBody),
	}
	if tee != nil {
		// Published with its body, once the base transport has read it.
		rec.events.req.set(rec.header(), evReq)
		x := rec.more()
		x.tee, x.op, tee.rec = tee, a.operation, rec
	} else {
		rec.request(evReq)
	}
	rec.url = req.URL
	if readErr != nil {
		return nil, failed(rec, readErr, req)
	}

	if t.canceler != nil && out != req {
		// Cancellable through the base until the end of the call (its
		// body read), as net/http keeps it; a base that panics leaves no
		// entry behind.
		t.sent.Store(req, out)
		x := rec.more()
		x.sent, x.req = &t.sent, req
		defer func() {
			if p := recover(); p != nil {
				t.sent.Delete(req)
				panic(p)
			}
		}()
	}
	resp, err := t.send.RoundTrip(out)
	if err != nil {
		// A response with the error breaks RoundTripper's contract; it is
		// handed on as the base gave it, for the caller to judge.
		return resp, failed(rec, err, req)
	}
	if resp == nil {
		// A broken base transport: http.Client reports it as an error of
		// its own, and the call is recorded as failed.
		_ = failed(rec, errNoResponse, req)
		return nil, nil
	}
	if out != req && resp.Request == out {
		resp.Request = req // not a request of the base's own (a redirect it followed)
	}
	return wrapBody(resp, rec, t.opts.maxBody, hide), nil
}

// failed ends rec as a call that got no response (status error, its type
// from err) and returns err, for the caller as it was.
func failed(rec *recording, err error, req *http.Request) error {
	rec.finish(event.Response{
		Status:       event.StatusError,
		ErrorType:    errorType(err, rec.ctx),
		ErrorMessage: redactMessage(err.Error(), req.URL),
	}, nil, nil)
	return err
}

// errorType classifies a transport or body read error of a request whose
// context is ctx. http.Client's Timeout fails a call through a transport
// it does not know, as this one, by a timer of its own, with "request
// canceled" errors that do not say why; it also gives the request's
// context its deadline, which has then passed, though the context's own
// timer may not have fired yet.
func errorType(err error, ctx context.Context) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return "timeout"
	}
	if ctx.Err() != nil {
		return "canceled"
	}
	return "transport"
}

func httpErrorType(status int) string { return "http_" + strconv.Itoa(status) }

// reqBody is the request body as the transport read it.
type reqBody struct {
	text      string
	truncated bool   // the body is longer than text
	omit      string // why the event has no body: "disabled" (WithMaxBodyBytes(0)), "incomplete" (a read error)
}

func (b reqBody) kept(limit int) string {
	if len(b.text) > limit {
		return strings.Clone(b.text[:limit]) // not the rest, which the event does not keep
	}
	return b.text
}

func (b reqBody) omitted(limit int) string {
	switch {
	case b.omit != "":
		return b.omit
	case b.truncated || len(b.text) > limit:
		return "truncated"
	}
	return ""
}

// wholeBody is the longest request body of known length read whole through
// GetBody when it is longer than the event keeps (takeBody): an LLM
// request with images, under the vendors' own request limits (32 MiB at
// Anthropic, 50 MB at OpenAI). The copy lasts the call; the event keeps the
// first WithMaxBodyBytes bytes.
const wholeBody = 64 << 20

// takeBody reads up to limit+1 bytes of req's body and returns the request
// to send: req itself when the body could be read through GetBody, else a
// copy of req whose body replays what was read, followed by the rest.
func takeBody(req *http.Request, limit int) (reqBody, *http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return reqBody{}, req, nil
	}
	if limit == 0 {
		return reqBody{omit: "disabled"}, req, nil
	}
	if req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil && !sameBody(rc, req.Body) {
			// A longer body of known length is read whole, up to
			// wholeBody, though its event keeps limit bytes: SDKs write
			// "model" after the messages and "stream" last, and such a
			// stream can still be given include_usage.
			var text string
			var truncated bool
			if req.ContentLength > int64(limit) && req.ContentLength <= wholeBody {
				text, truncated, err = readWhole(rc, req.ContentLength)
			} else {
				text, truncated, err = readUpTo(rc, limit, req.ContentLength)
			}
			_ = rc.Close()
			if err == nil {
				return reqBody{text: text, truncated: truncated}, req, nil
			}
		}
	}
	return readBody(req, limit)
}

// readBody reads up to limit+1 bytes of req's Body and returns a copy of
// req whose body replays what was read, followed by the rest.
//
// A body that waits for its writer (a pipe, a request a proxy forwards) is
// read as long as the request's context allows, as net/http sends it: the
// context's end closes it, and the call fails with the context's error.
func readBody(req *http.Request, limit int) (reqBody, *http.Request, error) {
	ctx := req.Context()
	stop := func() bool { return true }
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() { _ = req.Body.Close() })
	}
	text, truncated, err := readUpTo(req.Body, limit, req.ContentLength)
	closed := !stop() // by the context's end
	if closed && err != nil {
		err = ctx.Err() // the read failed as the context closed the body
	}
	if err != nil {
		if !closed {
			_ = req.Body.Close()
		}
		return reqBody{}, nil, err
	}
	out := *req
	if truncated {
		out.Body = readCloser{io.MultiReader(strings.NewReader(text), req.Body), req.Body}
		out.GetBody = nil
	} else {
		if !closed {
			_ = req.Body.Close()
		}
		out.Body = io.NopCloser(strings.NewReader(text))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil }
	}
	return reqBody{text: text, truncated: truncated}, &out, nil
}

// sameBody reports whether a and b are the same body: a GetBody that
// returns the request's Body itself gives no copy to read. Bodies of a type
// that cannot be compared are not the same.
func sameBody(a, b io.ReadCloser) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// sameAsBody reads r to its end and reports whether it holds text,
// without copying it; when not, read is what it read until it differed,
// and the rest is still in r.
func sameAsBody(r io.Reader, text string) (same bool, read string, err error) {
	bp := chunkPool.Get().(*[512]byte)
	defer chunkPool.Put(bp)
	buf := bp[:]
	off := 0
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if off+n > len(text) || string(buf[:n]) != text[off:off+n] {
				return false, text[:off] + string(buf[:n]), nil
			}
			off += n
		}
		switch {
		case errors.Is(err, io.EOF):
			return off == len(text), text[:off], nil
		case err != nil:
			return false, "", err
		}
	}
}

var chunkPool = sync.Pool{New: func() any { return new([512]byte) }}

// errNoResponse is the error of a call whose base transport returned
// neither a response nor an error.
var errNoResponse = errors.New("harborai: the base RoundTripper returned a nil *http.Response with a nil error")

// upFront bounds the buffer allocated for a body before its bytes arrive:
// a Content-Length, or a limit, of gigabytes must not cost gigabytes at
// once. Past it the buffer grows as the bytes come.
const upFront = 256 << 10

// readUpTo reads r up to limit+1 bytes; truncated reports that there were
// more than limit.
func readUpTo(r io.Reader, limit int, contentLength int64) (string, bool, error) {
	size := 512
	if contentLength > 0 {
		size = int(min(contentLength, int64(limit), upFront)) + 1
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := cap(buf)
		if room > limit {
			room = limit + 1 // no overflow: limit < room
		}
		n, err := r.Read(buf[len(buf):room])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return bytesToString(buf), true, nil
		}
		if err == io.EOF {
			return bytesToString(buf), false, nil
		}
		if err != nil {
			return "", false, err
		}
	}
}

// readWhole reads a body that says it has n bytes (GetBody's copy, in
// memory) into one buffer of n+1: the text, and true when the body is
// longer than it says (n+1 bytes read, as readUpTo(r, n, n) tells it).
func readWhole(r io.Reader, n int64) (string, bool, error) {
	buf := make([]byte, n+1)
	k, err := io.ReadFull(r, buf)
	switch {
	case err == nil:
		return bytesToString(buf), true, nil
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return bytesToString(buf[:k]), false, nil
	}
	return "", false, err
}

// rewritten is what a call whose body the Transport rewrote needs, in one
// allocation: the request sent, its body's reader, and the filter that
// hides from the caller the usage chunk the new body asks for.
type rewritten struct {
	req    http.Request
	body   strings.Reader
	filter usageFilter
}

// send returns a copy of req sending body.
func (s *rewritten) send(req *http.Request, body string) *http.Request {
	s.req = *req
	s.body.Reset(body)
	out := &s.req
	// A *strings.Reader in io.NopCloser, which net/http knows is in memory:
	// it then sends the headers and a small body in one write, not two.
	out.Body = io.NopCloser(&s.body)
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
	out.ContentLength = int64(len(body))
	if out.Header.Get("Content-Length") != "" {
		out.Header = out.Header.Clone()
		out.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	return out
}

type readCloser struct {
	io.Reader
	io.Closer
}
