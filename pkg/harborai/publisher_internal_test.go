package harborai

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/harborai/ingest/internal/broker"
	"github.com/harborai/ingest/internal/natstest"
	"github.com/harborai/ingest/pkg/event"
)

// TestRunParksWhenIdle: once the queue has been empty for parkAfter, the
// background publisher parks without a timer, and the next Publish wakes it.
func TestRunParksWhenIdle(t *testing.T) {
	srv := natstest.Start(t)
	js, err := jetstream.New(srv.Conn(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := broker.EnsureStream(context.Background(), js, broker.DefaultStreamConfig()); err != nil {
		t.Fatal(err)
	}
	pub, err := Connect(srv.ClientURL(), WithFlushInterval(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close(context.Background()) })
	publish := func(want int64) {
		t.Helper()
		call := pub.NewCall(context.Background(), CallInfo{Provider: "openai"})
		if err := call.Request(event.Request{Body: "{}"}); err != nil {
			t.Fatalf("Request() = %v", err)
		}
		poll(t, 10*time.Second, "the event published", func() bool { return pub.Stats().Published == want })
	}
	publish(1)
	poll(t, parkAfter+10*time.Second, "the publisher parked", pub.parked.Load)
	publish(2)
}

// poll waits until cond holds, failing the test after timeout. (The
// package's external tests use internal/testutil, which this package's
// internal tests cannot import: it imports the package.)
func poll(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}

// TestHalves: a batch the server refuses as too large is sent as two
// messages holding its events between them, in order; a single event
// cannot be split.
func TestHalves(t *testing.T) {
	var payload []byte
	for _, l := range []string{`{"a":1}`, `{"b":2}`, `{"c":3}`} {
		payload = event.AppendBatchLine(payload, []byte(l))
	}
	for _, whole := range []*nats.Msg{batchMsg(payload, 3, ""), batchMsg(s2.Encode(nil, payload), 3, event.EncodingS2)} {
		a, b, ok := halves(whole)
		if !ok {
			t.Fatal("halves of a batch of 3: not split")
		}
		var got []string
		for _, m := range []*nats.Msg{a, b} {
			if m.Header.Get(event.HeaderMsgID) == "" {
				t.Errorf("half without Nats-Msg-Id: %v", m.Header)
			}
			if n, lines := eventsIn(m), payloads(m); int(n) != len(lines) {
				t.Errorf("half declares %d events, holds %d", n, len(lines))
			}
			for _, l := range payloads(m) {
				got = append(got, string(l))
			}
		}
		if want := []string{`{"a":1}`, `{"b":2}`, `{"c":3}`}; !slices.Equal(got, want) {
			t.Errorf("halves of %v hold %q, want %q", whole.Header, got, want)
		}
		if a.Header.Get(event.HeaderMsgID) == b.Header.Get(event.HeaderMsgID) {
			t.Error("both halves have the same Nats-Msg-Id: JetStream would drop the second")
		}
	}
	if _, _, ok := halves(&nats.Msg{Data: []byte(`{"a":1}`)}); ok {
		t.Error("a single-event message was split")
	}
}

// TestAckAfterClose: an ack or failure arriving after Close has counted
// the unacked events (dropped, or spooled) changes no counter.
func TestAckAfterClose(t *testing.T) {
	for _, spooled := range []bool{false, true} {
		srv := natstest.Start(t)
		var opts []Option
		if spooled {
			opts = append(opts, WithSpool(t.TempDir()))
		}
		pub, err := Connect(srv.ClientURL(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.Close(context.Background()); err != nil {
			t.Fatalf("Close() = %v", err)
		}
		ev := &event.Event{EventID: event.NewID(), Kind: event.KindRequest, CallID: event.NewID()}
		late := singleMsg(ev, []byte("{}"))
		want := pub.Stats()
		pub.onAck(nil, late, nil)
		pub.onErr(nil, late, jetstream.ErrNoStreamResponse)
		if got := pub.Stats(); got.Published != want.Published || got.Dropped != want.Dropped ||
			got.Spooled != want.Spooled || got.Buffered != want.Buffered {
			t.Errorf("spool %v: Stats() = %+v after a late ack and failure, want %+v", spooled, got, want)
		}
	}
}

// TestSplitHoldsBothHalves: when Close gives up while a batch too large
// for the stream is being sent in halves, both halves are held for the
// spool (or counted as unsent), not only the one being sent.
func TestSplitHoldsBothHalves(t *testing.T) {
	var payload []byte
	for _, l := range []string{`{"a":1}`, `{"b":2}`, `{"c":3}`} {
		payload = event.AppendBatchLine(payload, []byte(l))
	}
	p := &Publisher{opts: defaultOptions(), abort: make(chan struct{})}
	close(p.abort)      // Close gave up
	p.failures.Store(1) // send waits, and so sees it
	if p.split(batchMsg(payload, 3, "")) {
		t.Fatal("split() = true after Close gave up")
	}
	var held int64
	for _, m := range p.held {
		held += eventsIn(m)
	}
	if held != 3 {
		t.Errorf("split() held %d events of 3", held)
	}
}
