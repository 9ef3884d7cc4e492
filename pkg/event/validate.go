package event

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

const maxIDLen = 128

// Validate checks the event against the schema and returns every problem
// found, joined; each is an *InvalidError.
func (e *Event) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &InvalidError{Reason: ReasonInvalidField, Field: field, Detail: fmt.Sprintf(format, args...)})
	}
	if e.SchemaVersion != SchemaVersion {
		errs = append(errs, &InvalidError{Reason: ReasonUnknownSchema, Field: "schema_version", Detail: fmt.Sprintf("got %d, this build reads %d", e.SchemaVersion, SchemaVersion)})
	}
	checkID := func(field, v string) {
		switch {
		case v == "":
			bad(field, "required")
		case len(v) > maxIDLen:
			bad(field, "longer than %d bytes", maxIDLen)
		case !utf8.ValidString(v) || strings.ContainsAny(v, "\x00 \t\r\n"):
			bad(field, "must be printable text without spaces")
		}
	}
	checkID("event_id", e.EventID)
	checkID("call_id", e.CallID)
	if e.HBTraceID != "" && !ValidHBTraceID(e.HBTraceID) {
		bad("hb_trace_id", "want hb_ + 13 digits + _ + 8 hex, got %q", e.HBTraceID)
	}
	if e.TraceID != "" && !ValidTraceID(e.TraceID) {
		bad("trace_id", "want 32 lower-case hex digits, not all zero")
	}
	if e.SpanID != "" && !ValidSpanID(e.SpanID) {
		bad("span_id", "want 16 lower-case hex digits, not all zero")
	}
	if e.ParentSpanID != "" && !ValidSpanID(e.ParentSpanID) {
		bad("parent_span_id", "want 16 lower-case hex digits, not all zero")
	}
	if strings.TrimSpace(e.Provider) == "" {
		bad("provider", "required")
	}
	if e.StartedAt.IsZero() {
		bad("started_at", "required")
	}
	switch e.Kind {
	case KindRequest:
		if e.Request == nil {
			bad("request", "required for a request event")
		}
	case KindResponse:
		if e.Response == nil {
			bad("response", "required for a response event")
		}
	case KindCall:
		if e.Request == nil {
			bad("request", "required for a call event")
		}
		if e.Response == nil {
			bad("response", "required for a call event")
		}
	default:
		bad("kind", "want request, response or call, got %q", e.Kind)
	}
	if r := e.Response; r != nil && e.Kind != KindRequest {
		switch r.Status {
		case StatusSuccess, StatusError, StatusAbandoned:
		default:
			bad("response.status", "want success, error or abandoned, got %q", r.Status)
		}
		if r.FinishedAt.IsZero() {
			bad("response.finished_at", "required")
		}
		if r.HTTPStatus < 0 || r.HTTPStatus > 999 {
			bad("response.http_status", "out of range: %d", r.HTTPStatus)
		}
	}
	if p := e.CustomPricing; p != nil {
		checkPrice := func(field string, v string, required bool) {
			if v == "" {
				if required {
					bad(field, "required")
				}
				return
			}
			d, err := decimal.NewFromString(v)
			if err != nil || d.IsNegative() {
				bad(field, "want a non-negative decimal number, got %q", v)
			}
		}
		checkPrice("custom_pricing.input_price", p.InputPrice.String(), true)
		checkPrice("custom_pricing.output_price", p.OutputPrice.String(), true)
		checkPrice("custom_pricing.cached_input_price", p.CachedInputPrice.String(), false)
		checkPrice("custom_pricing.cache_write_price", p.CacheWritePrice.String(), false)
	}
	return errors.Join(errs...)
}
