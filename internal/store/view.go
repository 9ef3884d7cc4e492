package store

import (
	"time"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/record"
)

// View is a call as harborctl prints it with --json: flat usage fields with
// the vendor-aligned names, and the seed's cost_info block.
type View struct {
	CallID           string     `json:"call_id"`
	HBTraceID        string     `json:"hb_trace_id"`
	TraceID          string     `json:"trace_id"`
	SpanID           string     `json:"span_id"`
	Provider         string     `json:"provider"`
	Model            string     `json:"model"`
	ServedModel      string     `json:"served_model,omitempty"`
	Status           string     `json:"status"`
	Stream           bool       `json:"stream"`
	StartedAt        time.Time  `json:"started_at"`
	FinishedAt       *time.Time `json:"finished_at,omitempty"`
	LatencyMS        *float64   `json:"latency_ms,omitempty"`
	TTFTMS           *float64   `json:"ttft_ms,omitempty"`
	HTTPStatus       *int       `json:"http_status,omitempty"`
	ErrorType        string     `json:"error_type,omitempty"`
	ErrorMessage     string     `json:"error_message,omitempty"`
	PromptTokens     *int64     `json:"prompt_tokens"`
	CompletionTokens *int64     `json:"completion_tokens"`
	TotalTokens      *int64     `json:"total_tokens"`
	CachedTokens     *int64     `json:"cached_tokens"`
	ReasoningTokens  *int64     `json:"reasoning_tokens"`
	CacheWriteTokens *int64     `json:"cache_write_tokens"`
	UsageMissing     *bool      `json:"usage_missing"` // null: no usage was read (pending, or a response without usage), as PostgreSQL's NULL column
	ParsingMethod    string     `json:"parsing_method,omitempty"`
	Confidence       *float64   `json:"confidence,omitempty"`
	Consistency      string     `json:"consistency,omitempty"`
	CostInfo         *cost.Info `json:"cost_info"`
	Environment      string     `json:"environment,omitempty"`
	SpoolReason      string     `json:"spool_reason,omitempty"`
}

// NewView flattens a call for display.
func NewView(c *record.Call) View {
	v := View{
		CallID: c.CallID, HBTraceID: c.HBTraceID, TraceID: c.TraceID, SpanID: c.SpanID,
		Provider: c.Provider, Model: c.Model, ServedModel: c.ServedModel, Status: c.DisplayStatus(),
		Stream: c.Stream, StartedAt: c.StartedAt, FinishedAt: c.FinishedAt, LatencyMS: c.LatencyMS,
		TTFTMS: c.TTFTMS, HTTPStatus: c.HTTPStatus, ErrorType: c.ErrorType, ErrorMessage: c.ErrorMessage,
		CostInfo: c.Cost, Environment: c.Tags.Environment, SpoolReason: c.SpoolReason,
	}
	if u := c.Usage; u != nil {
		v.PromptTokens, v.CompletionTokens, v.TotalTokens = u.PromptTokens, u.CompletionTokens, u.TotalTokens
		v.CachedTokens, v.ReasoningTokens, v.CacheWriteTokens = u.CachedTokens, u.ReasoningTokens, u.CacheWriteTokens
		missing := u.UsageMissing
		v.UsageMissing, v.ParsingMethod, v.Consistency = &missing, u.Method, u.Consistency
		conf := u.Confidence
		v.Confidence = &conf
	}
	return v
}
