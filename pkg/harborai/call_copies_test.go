package harborai_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// TestCallAPIsCopyTheApplicationsMaps: NewCall, Request and LogCall return
// before their events are encoded, on the publisher's goroutine. An
// application that changes or reuses its maps (metadata, headers) or its
// custom pricing once a call returned must not change what was recorded,
// nor race with the encoding (run with -race).
func TestCallAPIsCopyTheApplicationsMaps(t *testing.T) {
	dir := t.TempDir()
	pub, err := harborai.Connect("nats://"+testutil.HangUpAddr(t), harborai.WithSpool(dir))
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]string{"route": "/a"}
	hdr := map[string]string{"X-Req": "a"}
	pricing := &event.CustomPricing{InputPrice: "0.001", OutputPrice: "0.002", Currency: "USD"}
	info := harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini", Tags: event.Tags{Metadata: meta}, CustomPricing: pricing}
	ok := event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: `{}`}
	_ = pub.LogCall(context.Background(), info, event.Request{Body: `{}`, Headers: hdr}, ok)
	c := pub.NewCall(context.Background(), info)
	_ = c.Request(event.Request{Body: `{}`, Headers: hdr})
	_ = c.Response(ok)
	// The application reuses what it passed, as the background goroutine
	// may be encoding the events.
	for i := range 1000 {
		meta["route"] = "/b"
		hdr["X-Req"] = "b"
		meta[string(rune('a'+i%26))] = "x"
		pricing.InputPrice = "9"
	}
	closeWithin(pub, 2*time.Second)
	evs := testutil.SpooledEvents(t, dir)
	if len(evs) != 3 {
		t.Fatalf("the spool holds %d events, want 3 (Stats %+v)", len(evs), pub.Stats())
	}
	for _, ev := range evs {
		if got := ev.Tags.Metadata; len(got) != 1 || got["route"] != "/a" {
			t.Errorf("%s event: metadata %v, want it as it was at the call: map[route:/a]", ev.Kind, got)
		}
		if ev.CustomPricing == nil || ev.CustomPricing.InputPrice != "0.001" {
			t.Errorf("%s event: custom pricing %+v, want the input price 0.001 it had at the call", ev.Kind, ev.CustomPricing)
		}
		if ev.Request != nil && ev.Request.Headers["X-Req"] != "a" {
			t.Errorf("%s event: request header X-Req %q, want %q as it was at the call", ev.Kind, ev.Request.Headers["X-Req"], "a")
		}
	}
}

// TestPublishNil: a nil event is counted as dropped and gets an error; it
// does not panic on the application's goroutine.
func TestPublishNil(t *testing.T) {
	pub := connect(t, "nats://"+testutil.HangUpAddr(t))
	if err := pub.Publish(nil); !errors.Is(err, harborai.ErrNilEvent) {
		t.Errorf("Publish(nil) = %v, want ErrNilEvent", err)
	}
	if st := pub.Stats(); st.Attempted != 1 || st.Dropped != 1 {
		t.Errorf("Stats() = %+v, want 1 attempted, 1 dropped", st)
	}
}
