package event_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		kind   event.Kind
		mutate func(e *event.Event)
		want   []string // offending fields, sorted; nil = valid
	}{
		// Valid events.
		{"request", event.KindRequest, func(*event.Event) {}, nil},
		{"response", event.KindResponse, func(*event.Event) {}, nil},
		{"call", event.KindCall, func(*event.Event) {}, nil},
		{"only the required fields", event.KindCall, func(e *event.Event) {
			*e = event.Event{SchemaVersion: 1, Kind: event.KindCall, EventID: "e", CallID: "c", Provider: "p", StartedAt: testStart,
				Request: &event.Request{}, Response: &event.Response{Status: event.StatusSuccess, FinishedAt: testStart}}
		}, nil},
		{"empty request object", event.KindRequest, func(e *event.Event) { e.Request = &event.Request{} }, nil},
		{"status error", event.KindResponse, func(e *event.Event) { e.Response.Status = event.StatusError }, nil},
		{"status abandoned", event.KindResponse, func(e *event.Event) { e.Response.Status = event.StatusAbandoned }, nil},
		{"http_status 0 means none", event.KindResponse, func(e *event.Event) { e.Response.HTTPStatus = 0 }, nil},
		{"http_status 999", event.KindResponse, func(e *event.Event) { e.Response.HTTPStatus = 999 }, nil},
		{"id of 128 bytes", event.KindRequest, func(e *event.Event) { e.EventID = strings.Repeat("a", 128) }, nil},
		{"non-ASCII id", event.KindRequest, func(e *event.Event) { e.CallID = "呼叫-1" }, nil},
		{"trace ids absent", event.KindRequest, func(e *event.Event) { e.HBTraceID, e.TraceID, e.SpanID, e.ParentSpanID = "", "", "", "" }, nil},
		{"unknown provider", event.KindRequest, func(e *event.Event) { e.Provider = "my-inhouse-llm" }, nil},
		{"zero prices", event.KindCall, func(e *event.Event) { e.CustomPricing.InputPrice, e.CustomPricing.OutputPrice = "0", "0.0" }, nil},
		{"tiny price", event.KindCall, func(e *event.Event) { e.CustomPricing.InputPrice = "0.00000000000123" }, nil},
		{"price with exponent", event.KindCall, func(e *event.Event) { e.CustomPricing.OutputPrice = "1.5e-3" }, nil},
		{"optional prices absent", event.KindCall, func(e *event.Event) { e.CustomPricing.CachedInputPrice, e.CustomPricing.CacheWritePrice = "", "" }, nil},
		{"unknown currency is the pricer's business", event.KindCall, func(e *event.Event) { e.CustomPricing.Currency = "XYZ" }, nil},

		// schema_version.
		{"schema_version 0", event.KindRequest, func(e *event.Event) { e.SchemaVersion = 0 }, []string{"schema_version"}},
		{"schema_version 2", event.KindRequest, func(e *event.Event) { e.SchemaVersion = 2 }, []string{"schema_version"}},

		// kind.
		{"kind empty", event.KindRequest, func(e *event.Event) { e.Kind = "" }, []string{"kind"}},
		{"kind unknown", event.KindRequest, func(e *event.Event) { e.Kind = "Request" }, []string{"kind"}},

		// event_id and call_id.
		{"event_id missing", event.KindRequest, func(e *event.Event) { e.EventID = "" }, []string{"event_id"}},
		{"event_id of 129 bytes", event.KindRequest, func(e *event.Event) { e.EventID = strings.Repeat("a", 129) }, []string{"event_id"}},
		{"event_id of 43 three-byte runes", event.KindRequest, func(e *event.Event) { e.EventID = strings.Repeat("呼", 43) }, []string{"event_id"}},
		{"event_id with a space", event.KindRequest, func(e *event.Event) { e.EventID = "ev 1" }, []string{"event_id"}},
		{"event_id with a tab", event.KindRequest, func(e *event.Event) { e.EventID = "ev\t1" }, []string{"event_id"}},
		{"event_id with a newline", event.KindRequest, func(e *event.Event) { e.EventID = "ev\n1" }, []string{"event_id"}},
		{"event_id with a carriage return", event.KindRequest, func(e *event.Event) { e.EventID = "ev\r1" }, []string{"event_id"}},
		{"event_id with NUL", event.KindRequest, func(e *event.Event) { e.EventID = "ev\x001" }, []string{"event_id"}},
		{"event_id invalid UTF-8", event.KindRequest, func(e *event.Event) { e.EventID = "ev\xff" }, []string{"event_id"}},
		{"event_id with a control character", event.KindRequest, func(e *event.Event) { e.EventID = "ev\x01" }, []string{"event_id"}},
		{"event_id with an escape sequence", event.KindRequest, func(e *event.Event) { e.EventID = "ev\x1b[31m" }, []string{"event_id"}},
		{"event_id with DEL", event.KindRequest, func(e *event.Event) { e.EventID = "ev\x7f" }, []string{"event_id"}},
		{"event_id with a vertical tab", event.KindRequest, func(e *event.Event) { e.EventID = "ev\v1" }, []string{"event_id"}},
		{"event_id with NEL", event.KindRequest, func(e *event.Event) { e.EventID = "ev\u0085" }, []string{"event_id"}},
		{"event_id with a no-break space", event.KindRequest, func(e *event.Event) { e.EventID = "ev\u00a01" }, []string{"event_id"}},
		{"event_id with a line separator", event.KindRequest, func(e *event.Event) { e.EventID = "ev\u2028" }, []string{"event_id"}},
		{"event_id with a zero-width space", event.KindRequest, func(e *event.Event) { e.EventID = "ev\u200b1" }, []string{"event_id"}},
		{"call_id missing", event.KindRequest, func(e *event.Event) { e.CallID = "" }, []string{"call_id"}},
		{"call_id with a space", event.KindRequest, func(e *event.Event) { e.CallID = " c" }, []string{"call_id"}},
		{"call_id too long", event.KindRequest, func(e *event.Event) { e.CallID = strings.Repeat("c", 200) }, []string{"call_id"}},

		// Trace ids.
		{"hb_trace_id without prefix", event.KindRequest, func(e *event.Event) { e.HBTraceID = "1795680000000_3fa9c2e1" }, []string{"hb_trace_id"}},
		{"hb_trace_id with 12 digits", event.KindRequest, func(e *event.Event) { e.HBTraceID = "hb_179568000000_3fa9c2e1" }, []string{"hb_trace_id"}},
		{"hb_trace_id upper-case hex", event.KindRequest, func(e *event.Event) { e.HBTraceID = "hb_1795680000000_3FA9C2E1" }, []string{"hb_trace_id"}},
		{"hb_trace_id 7 hex", event.KindRequest, func(e *event.Event) { e.HBTraceID = "hb_1795680000000_3fa9c2e" }, []string{"hb_trace_id"}},
		{"trace_id of 31 hex", event.KindRequest, func(e *event.Event) { e.TraceID = "4bf92f3577b34da6a3ce929d0e0e473" }, []string{"trace_id"}},
		{"trace_id upper case", event.KindRequest, func(e *event.Event) { e.TraceID = "4BF92F3577B34DA6A3CE929D0E0E4736" }, []string{"trace_id"}},
		{"trace_id all zero", event.KindRequest, func(e *event.Event) { e.TraceID = strings.Repeat("0", 32) }, []string{"trace_id"}},
		{"trace_id not hex", event.KindRequest, func(e *event.Event) { e.TraceID = "4bf92f3577b34da6a3ce929d0e0e473g" }, []string{"trace_id"}},
		{"span_id all zero", event.KindRequest, func(e *event.Event) { e.SpanID = strings.Repeat("0", 16) }, []string{"span_id"}},
		{"span_id of 17 hex", event.KindRequest, func(e *event.Event) { e.SpanID = "53995c3f42cd8ad80" }, []string{"span_id"}},
		{"parent_span_id not hex", event.KindRequest, func(e *event.Event) { e.ParentSpanID = "parent" }, []string{"parent_span_id"}},

		// Header.
		{"provider missing", event.KindRequest, func(e *event.Event) { e.Provider = "" }, []string{"provider"}},
		{"provider blank", event.KindRequest, func(e *event.Event) { e.Provider = " \t " }, []string{"provider"}},
		{"started_at missing", event.KindRequest, func(e *event.Event) { e.StartedAt = time.Time{} }, []string{"started_at"}},
		// hb_trace_id holds started_at as 13 digits of epoch milliseconds.
		{"started_at first 13-digit millisecond", event.KindRequest, func(e *event.Event) { e.StartedAt = time.UnixMilli(1e12) }, nil},
		{"started_at last 13-digit millisecond", event.KindRequest, func(e *event.Event) { e.StartedAt = time.UnixMilli(1e13 - 1) }, nil},
		{"started_at before 2001-09-09", event.KindRequest, func(e *event.Event) { e.StartedAt = time.UnixMilli(1e12 - 1) }, []string{"started_at"}},
		{"started_at in 1960", event.KindRequest, func(e *event.Event) { e.StartedAt = time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC) }, []string{"started_at"}},
		{"started_at from 2286-11-20", event.KindRequest, func(e *event.Event) { e.StartedAt = time.UnixMilli(1e13) }, []string{"started_at"}},

		// The sides each kind needs.
		{"request event without request", event.KindRequest, func(e *event.Event) { e.Request = nil }, []string{"request"}},
		{"response event without response", event.KindResponse, func(e *event.Event) { e.Response = nil }, []string{"response"}},
		{"call event without request", event.KindCall, func(e *event.Event) { e.Request = nil }, []string{"request"}},
		{"call event without response", event.KindCall, func(e *event.Event) { e.Response = nil }, []string{"response"}},
		{"call event without either", event.KindCall, func(e *event.Event) { e.Request, e.Response = nil, nil }, []string{"request", "response"}},
		// The ingestor builds a side from every side an event carries, so a
		// side of the other kind must not slip through unchecked.
		{"request event with an empty response", event.KindRequest, func(e *event.Event) { e.Response = &event.Response{} }, []string{"response"}},
		{"request event with a full response", event.KindRequest, func(e *event.Event) {
			e.Response = &event.Response{Status: event.StatusSuccess, FinishedAt: testStart}
		}, []string{"response"}},
		{"response event with a request", event.KindResponse, func(e *event.Event) { e.Request = &event.Request{Body: "{}"} }, []string{"request"}},

		// The response.
		{"status missing", event.KindResponse, func(e *event.Event) { e.Response.Status = "" }, []string{"response.status"}},
		{"status unknown", event.KindCall, func(e *event.Event) { e.Response.Status = "ok" }, []string{"response.status"}},
		{"status pending is not a response status", event.KindResponse, func(e *event.Event) { e.Response.Status = "pending" }, []string{"response.status"}},
		{"finished_at missing", event.KindResponse, func(e *event.Event) { e.Response.FinishedAt = time.Time{} }, []string{"response.finished_at"}},
		{"http_status negative", event.KindResponse, func(e *event.Event) { e.Response.HTTPStatus = -1 }, []string{"response.http_status"}},
		{"http_status 1000", event.KindCall, func(e *event.Event) { e.Response.HTTPStatus = 1000 }, []string{"response.http_status"}},

		// Custom pricing.
		{"input_price missing", event.KindCall, func(e *event.Event) { e.CustomPricing.InputPrice = "" }, []string{"custom_pricing.input_price"}},
		{"output_price missing", event.KindCall, func(e *event.Event) { e.CustomPricing.OutputPrice = "" }, []string{"custom_pricing.output_price"}},
		{"both prices missing", event.KindCall, func(e *event.Event) { e.CustomPricing = &event.CustomPricing{Currency: "CNY"} },
			[]string{"custom_pricing.input_price", "custom_pricing.output_price"}},
		{"negative input_price", event.KindCall, func(e *event.Event) { e.CustomPricing.InputPrice = "-0.001" }, []string{"custom_pricing.input_price"}},
		{"output_price not a number", event.KindCall, func(e *event.Event) { e.CustomPricing.OutputPrice = "cheap" }, []string{"custom_pricing.output_price"}},
		{"negative cached_input_price", event.KindCall, func(e *event.Event) { e.CustomPricing.CachedInputPrice = "-1" }, []string{"custom_pricing.cached_input_price"}},
		{"cache_write_price not a number", event.KindCall, func(e *event.Event) { e.CustomPricing.CacheWritePrice = "1e" }, []string{"custom_pricing.cache_write_price"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEvent(tc.kind)
			tc.mutate(e)
			err := e.Validate()
			if got := fields(err); !slices.Equal(got, tc.want) {
				t.Fatalf("Validate() = %v, want problems with %v", err, tc.want)
			}
			if err == nil {
				return
			}
			if !errors.Is(err, event.ErrInvalid) {
				t.Errorf("errors.Is(Validate(), ErrInvalid) = false for %v", err)
			}
			for _, p := range problems(err) {
				if !strings.Contains(p.Error(), p.Field) {
					t.Errorf("problem %q does not name its field %q", p.Error(), p.Field)
				}
				wantReason := event.ReasonInvalidField
				if p.Field == "schema_version" {
					wantReason = event.ReasonUnknownSchema
				}
				if p.Reason != wantReason {
					t.Errorf("problem %v has reason %q, want %q", p, p.Reason, wantReason)
				}
			}
		})
	}
}

// TestValidateReportsEveryProblem checks that one call reports every
// problem of an event, each naming its field, in the order of the format.
func TestValidateReportsEveryProblem(t *testing.T) {
	e := &event.Event{
		SchemaVersion: 3,
		Kind:          event.KindCall,
		EventID:       "has space",
		HBTraceID:     "hb_x",
		TraceID:       "zz",
		SpanID:        "0000000000000000",
		ParentSpanID:  "1",
		Provider:      "",
		CustomPricing: &event.CustomPricing{InputPrice: "-1"},
		Response:      &event.Response{Status: "done", HTTPStatus: 1200},
	}
	err := e.Validate()
	want := []string{
		"schema_version", "event_id", "call_id", "hb_trace_id", "trace_id", "span_id", "parent_span_id",
		"provider", "started_at", "request", "response.status", "response.finished_at", "response.http_status",
		"custom_pricing.input_price", "custom_pricing.output_price",
	}
	var got []string
	for _, p := range problems(err) {
		got = append(got, p.Field)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Validate() problems = %v, want %v", got, want)
	}
	msg := err.Error()
	for _, f := range want {
		if !strings.Contains(msg, f) {
			t.Errorf("Validate() = %q, does not mention %q", msg, f)
		}
	}
	if got := event.RejectReason(err); got != event.ReasonUnknownSchema {
		t.Errorf("RejectReason(Validate()) = %q, want %q (the version problem comes first)", got, event.ReasonUnknownSchema)
	}
}

func TestRejectReason(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"other error", errors.New("boom"), ""},
		{"invalid field", &event.InvalidError{Reason: event.ReasonInvalidField, Field: "kind"}, event.ReasonInvalidField},
		{"wrapped", errorsJoinWrap(&event.InvalidError{Reason: event.ReasonOversize}), event.ReasonOversize},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := event.RejectReason(tc.err); got != tc.want {
				t.Errorf("RejectReason(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func errorsJoinWrap(err error) error { return errors.Join(errors.New("context"), err) }

func TestInvalidErrorMessage(t *testing.T) {
	cases := []struct {
		err  *event.InvalidError
		want string
	}{
		{&event.InvalidError{Reason: event.ReasonInvalidField, Field: "kind", Detail: "bad"}, "invalid event: invalid_field: kind: bad"},
		{&event.InvalidError{Reason: event.ReasonInvalidJSON, Detail: "unexpected EOF"}, "invalid event: invalid_json: unexpected EOF"},
	}
	for _, tc := range cases {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
		if !errors.Is(tc.err, event.ErrInvalid) {
			t.Errorf("errors.Is(%v, ErrInvalid) = false", tc.err)
		}
	}
}
