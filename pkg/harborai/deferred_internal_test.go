package harborai

import (
	"sync"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
)

// TestDeferredComplete completes the two events of a call on two
// goroutines at once, as the publisher and the spool may: both get the
// same ids, and the model read from the request; a trace id from a parent
// span is kept.
func TestDeferredComplete(t *testing.T) {
	for _, tt := range []struct {
		name       string
		header     event.Event
		path, body string
		model      string
	}{
		{"model in the body", event.Event{Provider: "openai"}, "/v1/chat/completions", `{"model":"gpt-4o-mini"}`, "gpt-4o-mini"},
		{"model in the path", event.Event{Provider: "gemini"}, "/v1beta/models/gemini-2.0-flash:generateContent", `{"model":"other"}`, "gemini-2.0-flash"},
		{"model known", event.Event{Provider: "openai", Model: "from-context"}, "", "", "from-context"},
		{"parent span", event.Event{Provider: "openai", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", ParentSpanID: "00f067aa0ba902b7"}, "", `{"model":"m"}`, "m"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for range 50 {
				h := tt.header
				h.SchemaVersion, h.StartedAt = event.SchemaVersion, time.Now().UTC()
				d := &deferred{path: tt.path, body: tt.body}
				evs := [2]event.Event{h, h}
				evs[0].Kind, evs[1].Kind = event.KindRequest, event.KindResponse
				var wg sync.WaitGroup
				for i := range evs {
					wg.Go(func() { queued{ev: &evs[i], later: d}.complete() })
				}
				wg.Wait()
				a, b := evs[0], evs[1]
				if got, want := [4]string{b.CallID, b.HBTraceID, b.TraceID, b.SpanID}, [4]string{a.CallID, a.HBTraceID, a.TraceID, a.SpanID}; got != want {
					t.Fatalf("ids = %v and %v, want the same", want, got)
				}
				if a.CallID == "" || a.EventID == "" || b.EventID == "" || a.EventID == b.EventID {
					t.Fatalf("call id %q, event ids %q and %q: want a call id and an event id each", a.CallID, a.EventID, b.EventID)
				}
				if tt.header.TraceID != "" && a.TraceID != tt.header.TraceID {
					t.Fatalf("trace id = %s, want the parent's %s", a.TraceID, tt.header.TraceID)
				}
				if a.Model != tt.model || b.Model != tt.model {
					t.Fatalf("models = %q, %q, want %q", a.Model, b.Model, tt.model)
				}
			}
		})
	}
}
