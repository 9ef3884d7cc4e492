package harborai

import (
	"context"
	"maps"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
)

// CallInfo describes an LLM call: what every one of its events repeats.
type CallInfo struct {
	Provider      string
	Model         string
	Endpoint      string
	Stream        bool
	StartedAt     time.Time // zero = now
	CustomPricing *event.CustomPricing
	Tags          event.Tags
}

// Call is one LLM call being recorded. Its ids are assigned by NewCall.
type Call struct {
	p      *Publisher
	header event.Event
}

// NewCall assigns a call its ids: a call id, an hb_trace_id, and
// OpenTelemetry trace and span ids — the span is a child of the span in ctx
// when there is one.
func (p *Publisher) NewCall(ctx context.Context, info CallInfo) *Call {
	c := new(Call)
	p.initCall(c, ctx, info)
	return c
}

// initCall is NewCall into c.
func (p *Publisher) initCall(c *Call, ctx context.Context, info CallInfo) {
	c.p = p
	info.Provider, _ = parse.CanonicalProvider(info.Provider) // an alias ("kimi") is stored under its vendor's name
	p.initHeader(&c.header, ctx, info)
	putIDs(&c.header, event.NewCallIDs(c.header.StartedAt))
}

// initHeader writes what every event of a call repeats into h, but for the
// call's ids: the trace ids of the span in ctx only.
func (p *Publisher) initHeader(h *event.Event, ctx context.Context, info CallInfo) {
	started := info.StartedAt
	if started.IsZero() {
		started = p.opts.now()
	}
	// The event is encoded later, on another goroutine: it gets copies of
	// what the application may change or reuse once the call returns.
	tags := info.Tags
	tags.Metadata = maps.Clone(tags.Metadata)
	pricing := info.CustomPricing
	if pricing != nil {
		cp := *pricing
		pricing = &cp
	}
	if tags.Environment == "" {
		tags.Environment = p.opts.environment
	}
	if tags.Service == "" {
		tags.Service = p.opts.service
	}
	*h = event.Event{
		SchemaVersion: event.SchemaVersion,
		Provider:      info.Provider,
		Model:         info.Model,
		Endpoint:      info.Endpoint,
		Stream:        info.Stream,
		StartedAt:     started.UTC(),
		CustomPricing: pricing,
		Tags:          tags,
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		h.TraceID = sc.TraceID().String()
		h.ParentSpanID = sc.SpanID().String()
	}
}

// putIDs gives ev a call's ids; a trace id ev has (its parent span's) is
// kept.
func putIDs(ev *event.Event, ids event.CallIDs) {
	ev.CallID, ev.HBTraceID, ev.SpanID = ids.CallID, ids.HBTraceID, ids.SpanID
	if ev.TraceID == "" {
		ev.TraceID = ids.TraceID
	}
}

// ID returns the call id; HBTraceID and TraceID its trace ids.
func (c *Call) ID() string        { return c.header.CallID }
func (c *Call) HBTraceID() string { return c.header.HBTraceID }
func (c *Call) TraceID() string   { return c.header.TraceID }

// Request publishes the call's request event. Its event id is left to the
// publisher, which assigns it on its own goroutine when it encodes the event
// (see Publish).
func (c *Call) Request(req event.Request) error {
	req.Headers = maps.Clone(req.Headers) // the application's own
	x := new(requestEvent)
	x.set(&c.header, req)
	return c.p.Publish(&x.ev)
}

// Response publishes the call's response event. A zero FinishedAt is now.
func (c *Call) Response(resp event.Response) error {
	x := &responseEvent{ev: c.header}
	x.setResponse(resp, c.p.opts.now)
	x.ev.Kind, x.ev.Response = event.KindResponse, &x.resp
	return c.p.Publish(&x.ev)
}

// LogCall publishes a whole call at once (a "call" event), for applications
// that log after the fact.
func (p *Publisher) LogCall(ctx context.Context, info CallInfo, req event.Request, resp event.Response) error {
	var c Call
	p.initCall(&c, ctx, info)
	req.Headers = maps.Clone(req.Headers) // the application's own
	x := &callEvent{responseEvent: responseEvent{ev: c.header}, req: req}
	x.setResponse(resp, p.opts.now)
	x.ev.Kind, x.ev.Request, x.ev.Response = event.KindCall, &x.req, &x.resp
	return p.Publish(&x.ev)
}

// requestEvent, responseEvent and callEvent hold an event with what it
// points to, in one allocation.
type requestEvent struct {
	ev  event.Event
	req event.Request
}

type responseEvent struct {
	ev    event.Event
	resp  event.Response
	first time.Time
}

type callEvent struct {
	responseEvent
	req event.Request
}

// callEvents are a recorded call's request and response events, with what
// they leave to the publisher, in one allocation apart from the recording,
// so that a queued event does not keep the recording's context and
// buffers.
type callEvents struct {
	req   requestEvent
	resp  responseEvent
	later deferred
}

// set makes x the request event of the call whose events repeat h.
func (x *requestEvent) set(h *event.Event, req event.Request) {
	x.ev, x.req = *h, req
	x.ev.Kind, x.ev.Request = event.KindRequest, &x.req // its id comes at encoding
}

// setResponse copies resp, FirstByteAt's time included, into x; a zero
// FinishedAt is now.
func (x *responseEvent) setResponse(resp event.Response, now func() time.Time) {
	x.resp = resp
	if resp.FinishedAt.IsZero() {
		x.resp.FinishedAt = now().UTC()
	}
	if resp.FirstByteAt != nil {
		x.first = *resp.FirstByteAt
		x.resp.FirstByteAt = &x.first
	}
}
