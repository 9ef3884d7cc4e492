package harborai

import (
	"context"
	"net/url"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
)

// The client span of a recorded call follows the OpenTelemetry GenAI
// semantic conventions (semconv v1.41.0, the last Go semconv package that
// carries the gen_ai keys). Spans are made only with WithTracerProvider;
// without it the transport does no span work at all.

const instrumentationName = "github.com/harborai/ingest/pkg/harborai"

// Attributes of our own, for finding a call's row from its span.
const (
	attrCallID    = attribute.Key("harborai.call_id")
	attrHBTraceID = attribute.Key("harborai.hb_trace_id")
	attrStatus    = attribute.Key("harborai.status")
)

// otelProviders maps our provider names to gen_ai.provider.name's
// well-known values; other names are used as they are.
var otelProviders = map[string]string{
	"azure":  "azure.ai.openai",
	"gemini": "gcp.gemini",
}

// SpanID returns the call's span id.
func (c *Call) SpanID() string { return c.header.SpanID }

// tracer returns the publisher's tracer, or nil without a TracerProvider.
func (p *Publisher) tracer() trace.Tracer {
	if p.opts.tracerProvider == nil {
		return nil
	}
	return p.opts.tracerProvider.Tracer(instrumentationName, trace.WithSchemaURL(semconv.SchemaURL))
}

// startSpan starts the call's CLIENT span, "{operation} {model}", as a child
// of the span in ctx.
func (t *Transport) startSpan(ctx context.Context, a api, info CallInfo, u *url.URL) (context.Context, trace.Span) {
	name := a.operation
	if info.Model != "" {
		name += " " + info.Model
	}
	provider := info.Provider
	if p, ok := otelProviders[provider]; ok {
		provider = p
	}
	attrs := []attribute.KeyValue{
		semconv.GenAIOperationNameKey.String(a.operation),
		semconv.GenAIProviderNameKey.String(provider),
		semconv.ServerAddress(u.Hostname()),
	}
	if info.Model != "" {
		attrs = append(attrs, semconv.GenAIRequestModel(info.Model))
	}
	if info.Stream {
		attrs = append(attrs, semconv.GenAIRequestStream(true))
	}
	if port := serverPort(u); port > 0 {
		attrs = append(attrs, semconv.ServerPort(port))
	}
	return t.tracer.Start(ctx, name,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(info.StartedAt),
		trace.WithAttributes(attrs...))
}

// serverPort is the port u reaches: the one it names, else its scheme's
// (the vendors' own URLs name none: https://api.openai.com is port 443).
// The GenAI conventions require server.port with server.address.
func serverPort(u *url.URL) int {
	if port, err := strconv.Atoi(u.Port()); err == nil {
		return port
	}
	switch u.Scheme {
	case "https":
		return 443
	case "http":
		return 80
	}
	return 0
}

// adoptSpan gives the call whose events repeat h its span's ids, so the
// events carry the ids of the span the application's tracing backend shows.
// A span without ids of its own (a no-op TracerProvider) leaves the call's
// ids as NewCall would choose them.
func adoptSpan(h *event.Event, span trace.Span) {
	sc := span.SpanContext()
	if !sc.IsValid() || sc.SpanID().String() == h.ParentSpanID {
		return
	}
	h.TraceID, h.SpanID = sc.TraceID().String(), sc.SpanID().String()
	span.SetAttributes(attrCallID.String(h.CallID), attrHBTraceID.String(h.HBTraceID))
}

// spanLearnt gives the span what a request body copied as it was sent
// said, known only once it was read: the model (the span was named for the
// operation alone), and that the call is a stream.
func spanLearnt(span trace.Span, op string, named bool, model string, stream bool) {
	if named {
		span.SetName(op + " " + model)
		span.SetAttributes(semconv.GenAIRequestModel(model))
	}
	if stream {
		span.SetAttributes(semconv.GenAIRequestStream(true))
	}
}

// spanMessage is the description of a failed call's span: msg, the error
// message, which may quote the bodies (a vendor quotes back what it
// refused); typ, the error's type, instead, when the application redacts
// the bodies (WithRedactBodies): what its hook would remove from them must
// not reach the tracing backend by another way.
func spanMessage(r *recording, msg, typ string) string {
	if r.pub.redact != nil {
		return typ
	}
	return msg
}

// endSpan sets what the response says (served model, tokens read with
// pkg/parse, errors) and ends the span.
func endSpan(r *recording, resp *event.Response, body []byte) {
	span := r.span
	attrs := []attribute.KeyValue{attrStatus.String(resp.Status)}
	if resp.HTTPStatus != 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(resp.HTTPStatus))
	}
	if r.stream && resp.FirstByteAt != nil {
		attrs = append(attrs, semconv.GenAIResponseTimeToFirstChunk(resp.FirstByteAt.Sub(r.started).Seconds()))
	}
	var u parse.Usage
	if len(body) > 0 {
		u = parse.Parse(r.provider, body)
		if u.Model != "" {
			attrs = append(attrs, semconv.GenAIResponseModel(u.Model))
		}
		for _, c := range []struct {
			n   *int64
			key attribute.Key
		}{
			{u.PromptTokens, semconv.GenAIUsageInputTokensKey},
			{u.CompletionTokens, semconv.GenAIUsageOutputTokensKey},
			{u.CachedTokens, semconv.GenAIUsageCacheReadInputTokensKey},
			{u.CacheWriteTokens, semconv.GenAIUsageCacheCreationInputTokensKey},
			{u.ReasoningTokens, semconv.GenAIUsageReasoningOutputTokensKey},
		} {
			if c.n != nil {
				attrs = append(attrs, c.key.Int64(*c.n))
			}
		}
	}
	switch {
	case resp.Status == event.StatusError:
		typ := resp.ErrorType
		if resp.HTTPStatus >= 400 || isRedirect(resp.HTTPStatus) {
			typ = strconv.Itoa(resp.HTTPStatus)
		}
		msg := resp.ErrorMessage
		if msg == "" {
			msg = u.ErrorMessage
		}
		attrs = append(attrs, semconv.ErrorTypeKey.String(typ))
		span.SetStatus(codes.Error, spanMessage(r, msg, typ))
	case u.IsError: // a vendor error with HTTP 200
		attrs = append(attrs, semconv.ErrorTypeKey.String("vendor_error"))
		span.SetStatus(codes.Error, spanMessage(r, u.ErrorMessage, "vendor_error"))
	}
	span.SetAttributes(attrs...)
	span.End(trace.WithTimestamp(resp.FinishedAt))
}
