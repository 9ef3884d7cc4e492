package event_test

import (
	"strings"
	"testing"

	"github.com/harborai/ingest/pkg/event"
)

func TestSubject(t *testing.T) {
	cases := []struct {
		kind event.Kind
		want string
	}{
		{event.KindRequest, "harborai.events.request"},
		{event.KindResponse, "harborai.events.response"},
		{event.KindCall, "harborai.events.call"},
	}
	for _, tc := range cases {
		got := event.Subject(tc.kind)
		if allocs := testing.AllocsPerRun(100, func() { _ = event.Subject(tc.kind) }); allocs != 0 {
			t.Errorf("Subject(%q) allocates %v times, want 0 (it is built for every published event)", tc.kind, allocs)
		}
		if got != tc.want {
			t.Errorf("Subject(%q) = %q, want %q", tc.kind, got, tc.want)
		}
		if prefix := strings.TrimSuffix(event.SubjectWildcard, ">"); !strings.HasPrefix(got, prefix) {
			t.Errorf("Subject(%q) = %q, not captured by %q", tc.kind, got, event.SubjectWildcard)
		}
	}
	if event.SubjectWildcard != "harborai.events.>" {
		t.Errorf("SubjectWildcard = %q, want harborai.events.>", event.SubjectWildcard)
	}
}

// TestHeaderNames pins the header names docs/events.md documents: NATS
// header names are case-sensitive.
func TestHeaderNames(t *testing.T) {
	cases := []struct{ got, want string }{
		{event.HeaderMsgID, "Nats-Msg-Id"},
		{event.HeaderTraceparent, "traceparent"},
		{event.HeaderKind, "Harborai-Kind"},
		{event.HeaderCallID, "Harborai-Call-Id"},
		{event.HeaderSchema, "Harborai-Schema-Version"},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("header %q, want %q", tc.got, tc.want)
		}
	}
}

func TestTraceparent(t *testing.T) {
	cases := []struct {
		name          string
		trace, span   string
		wantHeaderVal string
	}{
		{"valid", "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
		{"no ids", "", "", ""},
		{"no span", "4bf92f3577b34da6a3ce929d0e0e4736", "", ""},
		{"no trace", "", "00f067aa0ba902b7", ""},
		{"zero trace", "00000000000000000000000000000000", "00f067aa0ba902b7", ""},
		{"zero span", "4bf92f3577b34da6a3ce929d0e0e4736", "0000000000000000", ""},
		{"upper case", "4BF92F3577B34DA6A3CE929D0E0E4736", "00f067aa0ba902b7", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := &event.Event{TraceID: tc.trace, SpanID: tc.span}
			if got := e.Traceparent(); got != tc.wantHeaderVal {
				t.Errorf("Traceparent() = %q, want %q", got, tc.wantHeaderVal)
			}
		})
	}
}

// TestTraceparentOfDerivedIDs checks that an event without trace ids gets
// a traceparent once the ingestor fills them.
func TestTraceparentOfDerivedIDs(t *testing.T) {
	e := newEvent(event.KindRequest)
	e.TraceID, e.SpanID = "", ""
	if got := e.Traceparent(); got != "" {
		t.Fatalf("Traceparent() = %q before FillIDs, want none", got)
	}
	e.FillIDs()
	if want := "00-" + e.TraceID + "-" + e.SpanID + "-01"; e.Traceparent() != want {
		t.Errorf("Traceparent() = %q, want %q", e.Traceparent(), want)
	}
}
