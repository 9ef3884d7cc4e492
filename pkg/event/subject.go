package event

// NATS naming. Publishers send every event to Subject(kind); the ingestor's
// stream captures SubjectWildcard.
const (
	SubjectPrefix   = "harborai.events"
	SubjectWildcard = SubjectPrefix + ".>"

	// HeaderMsgID carries the event id; JetStream drops a second message
	// with the same id inside the stream's duplicate window.
	HeaderMsgID = "Nats-Msg-Id"
	// HeaderTraceparent carries the call's W3C trace context.
	HeaderTraceparent = "traceparent"
	HeaderKind        = "Harborai-Kind"
	HeaderCallID      = "Harborai-Call-Id"
	HeaderSchema      = "Harborai-Schema-Version"
)

// Subject returns the subject events of kind k are published to. The
// known kinds' subjects are constants: publishing builds no string.
func Subject(k Kind) string {
	switch k {
	case KindRequest:
		return SubjectPrefix + "." + string(KindRequest)
	case KindResponse:
		return SubjectPrefix + "." + string(KindResponse)
	case KindCall:
		return SubjectPrefix + "." + string(KindCall)
	}
	return SubjectPrefix + "." + string(k)
}

// Traceparent returns the W3C traceparent header value of the event's call
// (sampled), or "" when the event has no valid trace and span ids.
func (e *Event) Traceparent() string {
	if !ValidTraceID(e.TraceID) || !ValidSpanID(e.SpanID) {
		return ""
	}
	return "00-" + e.TraceID + "-" + e.SpanID + "-01"
}
