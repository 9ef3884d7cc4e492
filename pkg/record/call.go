package record

import (
	"time"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
)

// StatusPending is the status of a call whose request was seen and whose
// response was not (yet).
const StatusPending = "pending"

// Call is one stored LLM call. Request-side fields come from a request (or
// call) event, response-side fields from a response (or call) event; the
// header fields are repeated by every event.
type Call struct {
	CallID       string `json:"call_id"`
	HBTraceID    string `json:"hb_trace_id"`
	TraceID      string `json:"trace_id"`
	SpanID       string `json:"span_id"`
	ParentSpanID string `json:"parent_span_id,omitempty"`

	Provider  string     `json:"provider"`
	Model     string     `json:"model,omitempty"`
	Endpoint  string     `json:"endpoint,omitempty"`
	Stream    bool       `json:"stream"`
	StartedAt time.Time  `json:"started_at"`
	Tags      event.Tags `json:"tags,omitzero"`

	// Request side.
	RequestEventID string  `json:"request_event_id,omitempty"`
	RequestBody    *string `json:"request_body,omitempty"`

	// Response side.
	ResponseEventID string       `json:"response_event_id,omitempty"`
	Status          string       `json:"status,omitempty"` // "" until the response is seen
	HTTPStatus      *int         `json:"http_status,omitempty"`
	FinishedAt      *time.Time   `json:"finished_at,omitempty"`
	LatencyMS       *float64     `json:"latency_ms,omitempty"`
	TTFTMS          *float64     `json:"ttft_ms,omitempty"`
	TokensPerSecond *float64     `json:"tokens_per_second,omitempty"`
	ServedModel     string       `json:"served_model,omitempty"`
	ErrorType       string       `json:"error_type,omitempty"`
	ErrorMessage    string       `json:"error_message,omitempty"`
	ResponseBody    *string      `json:"response_body,omitempty"`
	Usage           *parse.Usage `json:"usage,omitempty"`
	Cost            *cost.Info   `json:"cost,omitempty"`

	// SpoolReason says why the call went through the spool, when it did.
	SpoolReason string `json:"spool_reason,omitempty"`
}

// DisplayStatus returns the call's status, StatusPending until its response
// is seen.
func (c *Call) DisplayStatus() string {
	if c.Status == "" {
		return StatusPending
	}
	return c.Status
}

// HasRequest and HasResponse say which of the call's sides were seen.
// Unpriced reports whether the vendor reported tokens for c (a count above
// 0) but c has no cost: no price found, or pricing failed. Its tokens are
// in usage totals, its cost missing from cost totals.
func (c *Call) Unpriced() bool {
	if c.Cost != nil && c.Cost.TotalCost != nil || c.Usage == nil {
		return false
	}
	u := c.Usage
	for _, n := range []*int64{u.PromptTokens, u.CompletionTokens, u.TotalTokens, u.CachedTokens, u.ReasoningTokens, u.CacheWriteTokens} {
		if n != nil && *n > 0 {
			return true
		}
	}
	return false
}

func (c *Call) HasRequest() bool  { return c.RequestEventID != "" }
func (c *Call) HasResponse() bool { return c.ResponseEventID != "" }
