package event_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
)

// testStart is the start time of the test events.
var testStart = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

// newEvent returns a valid event of kind k with every optional field set.
func newEvent(k event.Kind) *event.Event {
	first := testStart.Add(300 * time.Millisecond)
	e := &event.Event{
		SchemaVersion: event.SchemaVersion,
		Kind:          k,
		EventID:       "01a216de-5800-7e3b-9f2d-4c1e8a6b5d01",
		CallID:        "01a216de-5800-7c41-8a55-2b9d0e3f4a10",
		HBTraceID:     "hb_1795680000000_3fa9c2e1",
		TraceID:       "4bf92f3577b34da6a3ce929d0e0e4736",
		SpanID:        "53995c3f42cd8ad8",
		ParentSpanID:  "00f067aa0ba902b7",
		Provider:      "openai",
		Model:         "gpt-4o-mini",
		Endpoint:      "chat.completions",
		Stream:        true,
		StartedAt:     testStart,
		CustomPricing: &event.CustomPricing{InputPrice: "0.00015", OutputPrice: "0.0006", CachedInputPrice: "0.000075", CacheWritePrice: "0", Currency: "USD"},
		Tags: event.Tags{Environment: "production", Service: "support-bot", SessionID: "sess-1", UserID: "u-1",
			RequestID: "req-1", Metadata: map[string]string{"tenant": "acme"}},
	}
	if k != event.KindResponse {
		e.Request = &event.Request{Method: "POST", URL: "https://api.openai.com/v1/chat/completions",
			Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"model":"gpt-4o-mini","stream":true}`}
	}
	if k != event.KindRequest {
		e.Response = &event.Response{Status: event.StatusSuccess, HTTPStatus: 200, FinishedAt: testStart.Add(2 * time.Second),
			FirstByteAt: &first, Body: "data: {}\n\ndata: [DONE]\n\n"}
	}
	return e
}

// problems flattens the error tree of Validate or Decode into its
// *event.InvalidError leaves, in order.
func problems(err error) []*event.InvalidError {
	var out []*event.InvalidError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var ie *event.InvalidError
		if errors.As(err, &ie) {
			out = append(out, ie)
			return
		}
		out = append(out, &event.InvalidError{Reason: "not an InvalidError", Detail: err.Error()})
	}
	walk(err)
	return out
}

// fields returns the offending fields of err's problems, sorted.
func fields(err error) []string {
	var out []string
	for _, p := range problems(err) {
		out = append(out, p.Field)
	}
	slices.Sort(out)
	return out
}

func TestTagsIsZero(t *testing.T) {
	cases := []struct {
		name string
		tags event.Tags
		want bool
	}{
		{"zero", event.Tags{}, true},
		{"empty metadata map", event.Tags{Metadata: map[string]string{}}, true},
		{"environment", event.Tags{Environment: "prod"}, false},
		{"service", event.Tags{Service: "s"}, false},
		{"session", event.Tags{SessionID: "s"}, false},
		{"user", event.Tags{UserID: "u"}, false},
		{"request id", event.Tags{RequestID: "r"}, false},
		{"metadata", event.Tags{Metadata: map[string]string{"k": ""}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.tags.IsZero(); got != tc.want {
				t.Errorf("Tags(%+v).IsZero() = %v, want %v", tc.tags, got, tc.want)
			}
		})
	}
}
