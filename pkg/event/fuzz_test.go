package event_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
)

// FuzzDecode checks that Decode never panics, that every rejection is an
// ErrInvalid with a reason, and that an accepted event re-encodes to bytes
// that decode to the same event. The seed corpus is testdata/fuzz/FuzzDecode
// (the examples of docs/events.md among them); run with
//
//	go test -run='^$' -fuzz=FuzzDecode -fuzztime=3m ./pkg/event
func FuzzDecode(f *testing.F) {
	f.Add([]byte(minimal))
	f.Fuzz(func(t *testing.T, data []byte) {
		e1, err := event.Decode(data, 0)
		if err != nil {
			if e1 != nil {
				t.Fatalf("Decode() returned an event and %v", err)
			}
			if !errors.Is(err, event.ErrInvalid) || event.RejectReason(err) == "" {
				t.Fatalf("Decode() = %v, want an ErrInvalid with a reason", err)
			}
			return
		}
		if err := e1.Validate(); err != nil {
			t.Fatalf("Decode() accepted an event Validate refuses: %v", err)
		}
		b, err := event.Encode(e1)
		if err != nil {
			t.Fatalf("Encode(Decode(%q)) = %v", data, err)
		}
		e2, err := event.Decode(b, len(b))
		if err != nil {
			t.Fatalf("Decode(Encode(Decode(%q))) = %v\nencoded: %s", data, err, b)
		}
		if n1, n2 := normalize(e1), normalize(e2); !reflect.DeepEqual(n1, n2) {
			t.Fatalf("round trip changed the event:\nfirst:  %+v\nsecond: %+v\nencoded: %s", n1, n2, b)
		}
	})
}

// normalize returns a copy of e with what the wire form cannot tell apart
// made equal: empty maps are nil (Encode omits them), and times are UTC
// (the same instant in another zone is the same time).
func normalize(e *event.Event) event.Event {
	n := *e
	n.StartedAt = n.StartedAt.UTC()
	if len(n.Tags.Metadata) == 0 {
		n.Tags.Metadata = nil
	}
	if e.Request != nil {
		r := *e.Request
		if len(r.Headers) == 0 {
			r.Headers = nil
		}
		n.Request = &r
	}
	if e.Response != nil {
		r := *e.Response
		r.FinishedAt = r.FinishedAt.UTC()
		if r.FirstByteAt != nil {
			r.FirstByteAt = new(time.Time)
			*r.FirstByteAt = e.Response.FirstByteAt.UTC()
		}
		n.Response = &r
	}
	if e.CustomPricing != nil {
		p := *e.CustomPricing
		n.CustomPricing = &p
	}
	return n
}
