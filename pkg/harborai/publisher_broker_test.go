package harborai_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/harborai/ingest/internal/broker"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// infoLogger is a logger at info level writing to buf.
func infoLogger(buf *testutil.SyncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// startServer starts an in-process nats-server with JetStream, listening
// on addr (host:port), with the user and password given ("" for none), and
// stops it at cleanup.
func startServer(t *testing.T, addr, user, pass, storeDir string) *server.Server {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	var p int
	if _, err := fmt.Sscan(port, &p); err != nil {
		t.Fatal(err)
	}
	return runServer(t, &server.Options{Host: host, Port: p, JetStream: true, StoreDir: storeDir,
		Username: user, Password: pass, NoLog: true, NoSigs: true})
}

// runServer starts a nats-server with opts and stops it at cleanup.
func runServer(t *testing.T, opts *server.Options) *server.Server {
	t.Helper()
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

// createStream makes the events stream on srv as the ingestor does, with
// maxBytes as its bound, and returns the JetStream context it used.
func createStream(t *testing.T, srv *server.Server, user, pass string, maxBytes int64) jetstream.JetStream {
	t.Helper()
	cfg := broker.DefaultStreamConfig()
	cfg.MaxBytes = maxBytes
	return createStreamWith(t, srv, user, pass, cfg)
}

// createStreamWith makes the events stream on srv with cfg.
func createStreamWith(t *testing.T, srv *server.Server, user, pass string, cfg broker.StreamConfig) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(srv.ClientURL(), nats.UserInfo(user, pass))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := broker.EnsureStream(t.Context(), js, cfg); err != nil {
		t.Fatal(err)
	}
	return js
}

// TestBrokerRefusalBacksOff: a stream that refuses every publish (full,
// as the ingestor's stream is at its bound: DiscardNew) is retried with
// backoff, not thousands of times a second, and the refusal is logged as a
// warning, once.
func TestBrokerRefusalBacksOff(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, "127.0.0.1:0", "", "", t.TempDir())
	createStream(t, srv, "", "", 4<<10) // smaller than the event below
	var logs testutil.SyncBuffer
	pub := connect(t, srv.ClientURL(), harborai.WithLogger(infoLogger(&logs)))
	req := event.Request{Body: strings.Repeat("x", 8<<10)}
	resp := event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: `{"ok":true}`}
	if err := pub.LogCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"}, req, resp); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // the rate of retries is what is measured
	st := pub.Stats()
	// Backoff from 25 ms doubling to 2 s: about 8 tries in 3 s.
	if st.Retried < 2 || st.Retried > 30 || st.Published != 0 {
		t.Errorf("Stats() after 3 s of refusals = %+v, want between 2 and 30 retries, none published", st)
	}
	if n := strings.Count(logs.String(), "the broker refused events"); n != 1 {
		t.Errorf("the refusal logged %d times, want once (rate-limited):\n%s", n, logs.String())
	}
	closeWithin(pub, 100*time.Millisecond)
}

// TestAuthErrorDoesNotCloseForGood: a publisher whose credentials the
// server refuses keeps trying (nats.go closes the connection for good
// after two authorization errors in a row otherwise), says so in its log,
// and publishes every event once the server takes its credentials.
func TestAuthErrorDoesNotCloseForGood(t *testing.T) {
	checkLeaks(t)
	addr, store := freeAddr(t), t.TempDir()
	srv := startServer(t, addr, "app", "old-password", store)
	var logs testutil.SyncBuffer
	pub, err := harborai.Connect("nats://"+addr, harborai.WithLogger(infoLogger(&logs)),
		harborai.WithNATSOptions(nats.UserInfo("app", "new-password")))
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	defer closeWithin(pub, 5*time.Second)
	publishCalls(t, pub, 10)
	time.Sleep(2 * time.Second) // many refused attempts: nats.go gives up after two
	if st := pub.Stats(); st.Published != 0 {
		t.Fatalf("Stats() = %+v while the server refuses the credentials, want none published", st)
	}
	if !strings.Contains(logs.String(), "Authorization Violation") {
		t.Errorf("the log does not say the credentials were refused:\n%s", logs.String())
	}
	// The server now takes the application's password (rotated on the
	// server side last).
	srv.Shutdown()
	srv.WaitForShutdown()
	srv = startServer(t, addr, "app", "new-password", store)
	createStream(t, srv, "app", "new-password", 1<<20)
	waitFor(t, 15*time.Second, "the events published", func() (bool, string) {
		st := pub.Stats()
		return st.Published == 10, fmt.Sprintf("%+v", st)
	})
}

// frozenProxy forwards a client's connection to a server until frozen,
// then stops reading what the client sends, as a server that hangs (or a
// half-open connection) does: the client's writes block once the socket
// buffers are full.
type frozenProxy struct {
	ln     net.Listener
	frozen atomic.Bool
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

func startFrozenProxy(t *testing.T, target string) *frozenProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &frozenProxy{ln: ln}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); _, _ = io.Copy(c, s) }()
			go func() {
				defer p.wg.Done()
				buf := make([]byte, 32<<10)
				for !p.frozen.Load() {
					n, err := c.Read(buf)
					if n > 0 && !p.frozen.Load() {
						if _, err := s.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// TestCloseKeepsItsDeadlineWithFrozenServer: Close returns by its deadline
// though the background publisher is blocked writing to a server that
// stopped reading, and the events it could not send are counted.
func TestCloseKeepsItsDeadlineWithFrozenServer(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", "", "", t.TempDir())
	createStream(t, srv, "", "", 1<<30)
	proxy := startFrozenProxy(t, srv.Addr().String())
	pub, err := harborai.Connect("nats://"+proxy.ln.Addr().String(), harborai.WithCompression(false))
	if err != nil {
		t.Fatal(err)
	}
	publishCalls(t, pub, 10)
	waitFor(t, 10*time.Second, "the first events published", func() (bool, string) {
		st := pub.Stats()
		return st.Published == 10, fmt.Sprintf("%+v", st)
	})
	proxy.frozen.Store(true)
	body := strings.Repeat("y", 100<<10)
	for range 400 { // 40 MB: more than the sockets' buffers hold
		req := event.Request{Body: body}
		resp := event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: `{"ok":true}`}
		_ = pub.LogCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"}, req, resp)
	}
	time.Sleep(500 * time.Millisecond) // the background publisher writes, and blocks
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := pub.Close(ctx); err == nil {
		t.Errorf("Close() = nil, want the deadline's error: events were left")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Close() with a 1 s deadline took %v", took.Round(time.Millisecond))
	}
	st := pub.Stats()
	if st.Attempted != st.Published+st.Dropped+st.Spooled+st.Buffered || st.Buffered != 0 || st.Dropped == 0 {
		t.Errorf("Stats() = %+v, want every event published or dropped, counted", st)
	}
}

// TestRegistryAfterClose: an application that makes its publisher again
// (new credentials, a new URL) registers the new one's metrics on the same
// registry; the closed one's stay until then. Two open publishers on one
// registry are told how to tell them apart.
func TestRegistryAfterClose(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, "127.0.0.1:0", "", "", t.TempDir())
	createStream(t, srv, "", "", 1<<30)
	reg := prometheus.NewRegistry()
	first := connect(t, srv.ClientURL(), harborai.WithRegisterer(reg))
	publishCalls(t, first, 3)
	if _, err := harborai.Connect(srv.ClientURL(), harborai.WithRegisterer(reg)); err == nil || !strings.Contains(err.Error(), "WrapRegistererWith") {
		t.Errorf("a second open publisher on the registry: Connect() = %v, want an error naming WrapRegistererWith", err)
	}
	closeWithin(first, 5*time.Second)
	if got := metricSum(t, reg, "harborai_client_events_attempted_total"); got != 3 {
		t.Errorf("after Close: harborai_client_events_attempted_total = %v, want the closed publisher's 3", got)
	}
	second := connect(t, srv.ClientURL(), harborai.WithRegisterer(reg))
	publishCalls(t, second, 1)
	if got := metricSum(t, reg, "harborai_client_events_attempted_total"); got != 1 {
		t.Errorf("harborai_client_events_attempted_total = %v, want the new publisher's 1", got)
	}
	closeWithin(second, 5*time.Second)
}

// TestUnackedBytesBounded: events sent and awaiting their ack count
// against WithQueueBytes, as queued ones do: with a broker that takes
// messages and never acks them (a stalled store), a publisher holds at
// most about twice the bound (queue and in flight); the rest is dropped,
// counted, instead of growing the application's memory.
func TestUnackedBytesBounded(t *testing.T) {
	checkLeaks(t)
	srv := runServer(t, &server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true}) // no JetStream
	sink, err := nats.Connect(srv.ClientURL())                                                   // takes every event, answers none
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sink.Close)
	if _, err := sink.Subscribe(event.SubjectWildcard, func(*nats.Msg) {}); err != nil {
		t.Fatal(err)
	}
	if err := sink.Flush(); err != nil {
		t.Fatal(err)
	}
	const bound = 2 << 20
	pub := connect(t, srv.ClientURL(), harborai.WithQueueBytes(bound), harborai.WithCompression(false),
		harborai.WithAckTimeout(time.Minute))
	body := strings.Repeat("z", 200<<10)
	for i := range 100 { // 20 MB
		req := event.Request{Body: body}
		resp := event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: `{"ok":true}`}
		_ = pub.LogCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"}, req, resp)
		if i%10 == 9 {
			time.Sleep(20 * time.Millisecond) // the background publisher sends what it may
		}
	}
	time.Sleep(200 * time.Millisecond)
	st := pub.Stats()
	// 2 MiB queued, and 2 MiB in flight plus the message that crossed
	// it (at most 1 MiB), hold at most 5 MiB: about 26 of these events.
	if held := st.Buffered; held > 30 || st.Dropped < 70 || st.Published != 0 {
		t.Errorf("Stats() = %+v, want at most ~26 events held (twice the 2 MiB bound and a message), the rest dropped", st)
	}
	closeWithin(pub, 100*time.Millisecond)
}

// TestStreamLimitLeavesBodiesOut: an event the stream refuses as larger
// than its max message size (a stream made with a smaller limit than the
// server's) is published without its bodies, as one the server could not
// take is, rather than dropped: the call keeps its usage-free record.
func TestStreamLimitLeavesBodiesOut(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, "127.0.0.1:0", "", "", t.TempDir())
	cfg := broker.DefaultStreamConfig()
	cfg.MaxMsgSize = 16 << 10
	js := createStreamWith(t, srv, "", "", cfg)
	pub := connect(t, srv.ClientURL(), harborai.WithBatch(1))
	for _, big := range []string{"request", "response"} {
		req := event.Request{Body: `{"prompt":"` + big + `"}`}
		resp := event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: `{"ok":true}`}
		if big == "request" {
			req.Body = `{"prompt":"` + strings.Repeat("r", 40<<10) + `"}`
		} else {
			resp.Body = `{"answer":"` + strings.Repeat("a", 40<<10) + `"}`
		}
		_ = pub.LogCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"}, req, resp)
	}
	waitFor(t, 15*time.Second, "both events published", func() (bool, string) {
		st := pub.Stats()
		return st.Published == 2, fmt.Sprintf("%+v", st)
	})
	if st := pub.Stats(); st.Dropped != 0 {
		t.Errorf("Stats() = %+v, want none dropped", st)
	}
	stream, err := js.Stream(t.Context(), cfg.Stream)
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= 2; seq++ {
		m, err := stream.GetMsg(t.Context(), seq)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := event.Decode(m.Data, 0)
		if err != nil {
			t.Fatal(err)
		}
		// The request body goes first; the response body too when the
		// event is still too large without it.
		wantResp := map[uint64]string{1: "", 2: "too_large"}[seq]
		if ev.Request.BodyOmitted != "too_large" || ev.Response.BodyOmitted != wantResp ||
			(wantResp == "" && ev.Response.Body != `{"ok":true}`) {
			t.Errorf("event %d: request body omitted %q, response body %.20q omitted %q; want too_large and %q",
				seq, ev.Request.BodyOmitted, ev.Response.Body, ev.Response.BodyOmitted, wantResp)
		}
	}
}
