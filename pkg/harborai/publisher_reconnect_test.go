package harborai_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/harborai/ingest/internal/broker"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// TestPublisherOutlivesBrokerRestart stops the broker under a publisher
// made by Connect, keeps logging calls while it is down, and starts it
// again on the same port and store: every call returns at once without
// error, and every event ends up in the stream exactly once, none dropped.
func TestPublisherOutlivesBrokerRestart(t *testing.T) {
	checkLeaks(t)
	cfg := broker.EmbeddedConfig{Listen: freeAddr(t), StoreDir: t.TempDir(), MaxPayload: 8 << 20}
	srv, err := broker.StartEmbedded(cfg, nil)
	if err != nil {
		t.Fatalf("StartEmbedded() = %v", err)
	}
	stop := srv.Shutdown
	t.Cleanup(func() { stop() })
	ensureStream(t, srv)

	pub, err := harborai.Connect(srv.ClientURL())
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	logCalls := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			req := event.Request{Body: fmt.Sprintf(`{"prompt":"call %d"}`, i)}
			resp := event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: `{"ok":true}`}
			if err := pub.LogCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"}, req, resp); err != nil {
				t.Fatalf("LogCall(%d) = %v, want nil while the broker is away", i, err)
			}
		}
	}
	const before, during = 50, 1000
	logCalls(0, before)
	waitFor(t, 10*time.Second, "the first calls published", func() (bool, string) {
		st := pub.Stats()
		return st.Published == before, fmt.Sprintf("%+v", st)
	})

	srv.Shutdown()
	logCalls(before, before+during)
	// Stay down for many reconnect attempts (Connect retries every 250ms):
	// a client that gave up reconnecting after a few would have closed
	// its connection by then. Nothing to poll: the outage's length is the
	// point.
	time.Sleep(3 * time.Second)
	srv, err = broker.StartEmbedded(cfg, nil)
	if err != nil {
		t.Fatalf("StartEmbedded() again = %v", err)
	}
	stop = srv.Shutdown

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := pub.Close(ctx); err != nil {
		t.Errorf("Close() = %v, want nil", err)
	}
	const n = before + during
	if st := pub.Stats(); st.Attempted != n || st.Published != n || st.Dropped != 0 || st.Buffered != 0 {
		t.Errorf("Stats() = %+v, want all %d published, none dropped", st, n)
	}
	ids := streamEventIDs(t, srv)
	if len(ids) != n {
		t.Errorf("the stream holds %d distinct events, want %d", len(ids), n)
	}
	for id, c := range ids {
		if c != 1 {
			t.Errorf("event %s is in the stream %d times, want once", id, c)
		}
	}
}

// freeAddr returns a loopback host:port free a moment ago, for a server
// that must come back on the same port.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("close listener: %v", err)
	}
	return addr
}

// ensureStream creates the events stream on srv.
func ensureStream(t *testing.T, srv *broker.Embedded) {
	t.Helper()
	nc := inProcessConn(t, srv)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New() = %v", err)
	}
	if _, err := broker.EnsureStream(context.Background(), js, broker.DefaultStreamConfig()); err != nil {
		t.Fatalf("EnsureStream() = %v", err)
	}
}

// streamEventIDs counts the events in the events stream by event id, a
// batch message's one by one.
func streamEventIDs(t *testing.T, srv *broker.Embedded) map[string]int {
	t.Helper()
	nc := inProcessConn(t, srv)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New() = %v", err)
	}
	ctx := context.Background()
	stream, err := js.Stream(ctx, broker.DefaultStreamConfig().Stream)
	if err != nil {
		t.Fatalf("Stream() = %v", err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatalf("Info() = %v", err)
	}
	ids := map[string]int{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("GetMsg(%d) = %v", seq, err)
		}
		lines, err := event.MessageEvents(m.Header, m.Data)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		for _, l := range lines {
			ev, err := event.Decode(l, 0)
			if err != nil {
				t.Fatalf("message %d: Decode() = %v", seq, err)
			}
			ids[ev.EventID]++
		}
	}
	return ids
}

// inProcessConn is an in-process connection to srv, closed at cleanup.
func inProcessConn(t *testing.T, srv *broker.Embedded) *nats.Conn {
	t.Helper()
	nc, err := srv.Connect()
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}
