package event

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

const maxIDLen = 128

// Timestamps must lie where hb_trace_id's 13-digit milliseconds can hold
// them (2001-09-09 to 2286-11-20).
var (
	minTime = time.UnixMilli(1_000_000_000_000).UTC()
	maxTime = time.UnixMilli(10_000_000_000_000).UTC()
)

// notIDRune reports runes not allowed in ids: spaces, control and other
// non-printing characters.
func notIDRune(r rune) bool {
	return !unicode.IsPrint(r) || unicode.IsSpace(r)
}

// validIDText reports whether an id is valid UTF-8 without a notIDRune.
// Ids are nearly always printable ASCII (UUIDs, hex), which is checked a
// byte at a time before any rune is decoded.
func validIDText(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f {
			return utf8.ValidString(v) && strings.IndexFunc(v, notIDRune) < 0
		}
	}
	return true
}

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
		case !validIDText(v):
			bad(field, "must be printable text without spaces or control characters")
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
	switch {
	case e.StartedAt.IsZero():
		bad("started_at", "required")
	case e.StartedAt.Before(minTime) || !e.StartedAt.Before(maxTime):
		bad("started_at", "%s is outside %s..%s", e.StartedAt.UTC().Format(time.RFC3339), minTime.Format(time.DateOnly), maxTime.Format(time.DateOnly))
	}
	switch e.Kind {
	case KindRequest:
		if e.Request == nil {
			bad("request", "required for a request event")
		}
		if e.Response != nil {
			bad("response", "not allowed in a request event (use kind call)")
		}
	case KindResponse:
		if e.Response == nil {
			bad("response", "required for a response event")
		}
		if e.Request != nil {
			bad("request", "not allowed in a response event (use kind call)")
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
