package ingest

import (
	"time"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
	"github.com/harborai/ingest/pkg/record"
)

// Pricer prices a call's usage (implemented by *cost.Pricer).
type Pricer = cost.Coster

// BuildOptions choose what of a call is kept.
type BuildOptions struct {
	// KeepBodies stores the raw request and response bodies.
	KeepBodies bool
	// Environment tags calls whose events carry no environment.
	Environment string
}

// Build turns one valid event into the call fragment it carries. It is a
// pure function of its inputs.
func Build(ev *event.Event, pricer Pricer, opts BuildOptions) record.Call {
	e := *ev
	e.FillIDs()
	c := record.Call{
		CallID:       e.CallID,
		HBTraceID:    e.HBTraceID,
		TraceID:      e.TraceID,
		SpanID:       e.SpanID,
		ParentSpanID: e.ParentSpanID,
		Provider:     e.Provider,
		Model:        e.Model,
		Endpoint:     e.Endpoint,
		Stream:       e.Stream,
		StartedAt:    e.StartedAt.UTC(),
		Tags:         e.Tags,
	}
	if c.Tags.Environment == "" {
		c.Tags.Environment = opts.Environment
	}
	if e.Request != nil {
		c.RequestEventID = e.EventID
		if opts.KeepBodies && e.Request.Body != "" {
			c.RequestBody = ptr(e.Request.Body)
		}
	}
	if r := e.Response; r != nil {
		buildResponse(&c, &e, r, pricer, opts)
	}
	return c
}

func buildResponse(c *record.Call, e *event.Event, r *event.Response, pricer Pricer, opts BuildOptions) {
	c.ResponseEventID = e.EventID
	c.Status = r.Status
	c.ErrorType, c.ErrorMessage = r.ErrorType, r.ErrorMessage
	if r.HTTPStatus != 0 {
		c.HTTPStatus = ptr(r.HTTPStatus)
	}
	finished := r.FinishedAt.UTC()
	c.FinishedAt = &finished
	c.LatencyMS = ptr(millis(r.FinishedAt.Sub(e.StartedAt)))
	genStart := e.StartedAt
	if r.FirstByteAt != nil {
		c.TTFTMS = ptr(millis(r.FirstByteAt.Sub(e.StartedAt)))
		genStart = *r.FirstByteAt
	}
	if opts.KeepBodies && r.Body != "" {
		c.ResponseBody = ptr(r.Body)
	}

	u := parse.Parse(e.Provider, []byte(r.Body))
	if u.IsError && (c.Status == event.StatusSuccess || c.Status == event.StatusAbandoned) {
		// A vendor error delivered with HTTP 200 (Qianfan v1 does this), or
		// in a stream the application then stopped reading, as SDKs stop
		// at an error event: the call failed, whoever closed it.
		c.Status = event.StatusError
		if c.ErrorType == "" {
			c.ErrorType = "vendor_error"
		}
	}
	if c.ErrorMessage == "" {
		c.ErrorMessage = u.ErrorMessage
	}
	c.ServedModel = u.Model
	c.Usage = &u
	info := cost.CostServed(pricer, e.Provider, e.Model, u.Model, e.StartedAt, u, e.CustomPricing)
	c.Cost = &info
	if gen := r.FinishedAt.Sub(genStart).Seconds(); gen > 0 && u.CompletionTokens != nil && *u.CompletionTokens > 0 {
		c.TokensPerSecond = ptr(float64(*u.CompletionTokens) / gen)
	}
}

func millis(d time.Duration) float64 {
	if d < 0 {
		return 0
	}
	return float64(d.Microseconds()) / 1000
}

func ptr[T any](v T) *T { return &v }
