package event

import (
	"encoding/json"
	"time"
)

// SchemaVersion is the version of the event format this package writes and
// the only one it accepts.
const SchemaVersion = 1

// Kind says which part of a call an event carries.
type Kind string

// The event kinds.
const (
	KindRequest  Kind = "request"  // published when the call starts
	KindResponse Kind = "response" // published when the call ends
	KindCall     Kind = "call"     // request and response together, logged after the fact
)

// Response statuses.
const (
	StatusSuccess   = "success"
	StatusError     = "error"
	StatusAbandoned = "abandoned" // the caller stopped reading a stream early
)

// Event is one message on the wire. Request is set for request and call
// events, Response for response and call events.
type Event struct {
	SchemaVersion int    `json:"schema_version"`
	Kind          Kind   `json:"kind"`
	EventID       string `json:"event_id"`
	CallID        string `json:"call_id"`

	HBTraceID    string `json:"hb_trace_id,omitempty"`
	TraceID      string `json:"trace_id,omitempty"`
	SpanID       string `json:"span_id,omitempty"`
	ParentSpanID string `json:"parent_span_id,omitempty"`

	Provider  string    `json:"provider"`
	Model     string    `json:"model,omitempty"`
	Endpoint  string    `json:"endpoint,omitempty"`
	Stream    bool      `json:"stream,omitempty"`
	StartedAt time.Time `json:"started_at"`

	CustomPricing *CustomPricing `json:"custom_pricing,omitempty"`
	Tags          Tags           `json:"tags,omitzero"`

	Request  *Request  `json:"request,omitempty"`
	Response *Response `json:"response,omitempty"`
}

// Request is what the application sent to the vendor.
type Request struct {
	Method string `json:"method,omitempty"`
	// URL of the vendor endpoint, query secrets removed.
	URL string `json:"url,omitempty"`
	// Headers without secrets (Authorization, api-key and the like).
	Headers map[string]string `json:"headers,omitempty"`
	// Body is the raw request body as text.
	Body string `json:"body,omitempty"`
	// BodyOmitted says why Body is empty or partial although the request
	// had one: "too_large" (dropped to fit the broker), "truncated" (head and
	// tail kept), "incomplete", "encoded" (compressed), "disabled",
	// "redaction_failed" (the redaction hook panicked on it).
	BodyOmitted string `json:"body_omitted,omitempty"`
}

// Response is what the vendor answered, or how the call failed.
type Response struct {
	Status     string    `json:"status"`
	HTTPStatus int       `json:"http_status,omitempty"`
	FinishedAt time.Time `json:"finished_at"`
	// FirstByteAt is when the first byte of the body reached the caller
	// (time to first token for streams).
	FirstByteAt *time.Time `json:"first_byte_at,omitempty"`
	// Body is the raw response body: a JSON document, or the raw SSE/NDJSON
	// text of a stream as the caller read it.
	Body        string `json:"body,omitempty"`
	BodyOmitted string `json:"body_omitted,omitempty"`
	// ErrorType and ErrorMessage describe a transport or vendor error.
	ErrorType    string `json:"error_type,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
}

// CustomPricing overrides the price of one call (pricing source
// "api_parameter"). Prices are per 1,000 tokens, kept as the exact decimal
// text they were written with.
type CustomPricing struct {
	InputPrice       json.Number `json:"input_price"`
	OutputPrice      json.Number `json:"output_price"`
	CachedInputPrice json.Number `json:"cached_input_price,omitempty"`
	CacheWritePrice  json.Number `json:"cache_write_price,omitempty"`
	Currency         string      `json:"currency,omitempty"`
}

// Tags describe where a call came from.
type Tags struct {
	Environment string            `json:"environment,omitempty"`
	Service     string            `json:"service,omitempty"`
	SessionID   string            `json:"session_id,omitempty"`
	UserID      string            `json:"user_id,omitempty"`
	RequestID   string            `json:"request_id,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// IsZero reports whether no tag is set.
func (t Tags) IsZero() bool {
	return t.Environment == "" && t.Service == "" && t.SessionID == "" &&
		t.UserID == "" && t.RequestID == "" && len(t.Metadata) == 0
}
