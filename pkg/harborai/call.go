package harborai

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/harborai/ingest/pkg/event"
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
	started := info.StartedAt
	if started.IsZero() {
		started = p.opts.now()
	}
	tags := info.Tags
	if tags.Environment == "" {
		tags.Environment = p.opts.environment
	}
	if tags.Service == "" {
		tags.Service = p.opts.service
	}
	h := event.Event{
		SchemaVersion: event.SchemaVersion,
		CallID:        event.NewID(),
		HBTraceID:     event.NewHBTraceID(started),
		SpanID:        randomHex(8),
		Provider:      info.Provider,
		Model:         info.Model,
		Endpoint:      info.Endpoint,
		Stream:        info.Stream,
		StartedAt:     started.UTC(),
		CustomPricing: info.CustomPricing,
		Tags:          tags,
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		h.TraceID = sc.TraceID().String()
		h.ParentSpanID = sc.SpanID().String()
	} else {
		h.TraceID = randomHex(16)
	}
	return &Call{p: p, header: h}
}

// ID returns the call id; HBTraceID and TraceID its trace ids.
func (c *Call) ID() string        { return c.header.CallID }
func (c *Call) HBTraceID() string { return c.header.HBTraceID }
func (c *Call) TraceID() string   { return c.header.TraceID }

// Request publishes the call's request event.
func (c *Call) Request(req event.Request) error {
	ev := c.header
	ev.Kind, ev.EventID, ev.Request = event.KindRequest, event.NewID(), &req
	return c.p.Publish(&ev)
}

// Response publishes the call's response event. A zero FinishedAt is now.
func (c *Call) Response(resp event.Response) error {
	if resp.FinishedAt.IsZero() {
		resp.FinishedAt = c.p.opts.now().UTC()
	}
	ev := c.header
	ev.Kind, ev.EventID, ev.Response = event.KindResponse, event.NewID(), &resp
	return c.p.Publish(&ev)
}

// LogCall publishes a whole call at once (a "call" event), for applications
// that log after the fact.
func (p *Publisher) LogCall(ctx context.Context, info CallInfo, req event.Request, resp event.Response) error {
	c := p.NewCall(ctx, info)
	if resp.FinishedAt.IsZero() {
		resp.FinishedAt = p.opts.now().UTC()
	}
	ev := c.header
	ev.Kind, ev.EventID, ev.Request, ev.Response = event.KindCall, event.NewID(), &req, &resp
	return p.Publish(&ev)
}

func randomHex(n int) string {
	b := make([]byte, n)
	for {
		_, _ = rand.Read(b)
		for _, x := range b {
			if x != 0 {
				return hex.EncodeToString(b)
			}
		}
	}
}
