package harborai_test

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/harborai"
)

// TestConnectDoesNotHoldTheStart: servers that accept and never answer
// (frozen, or lost behind a proxy) hold Connect about half a second each,
// not nats.Timeout (2 s) each: it took 6 s for three before.
func TestConnectDoesNotHoldTheStart(t *testing.T) {
	url := "nats://" + testutil.SilentAddr(t) + ",nats://" + testutil.SilentAddr(t) + ",nats://" + testutil.SilentAddr(t)
	start := time.Now()
	pub, err := harborai.Connect(url)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	defer func() {
		// nats.go goes on trying in the background, and holds the
		// connection through each handshake: Close cuts it.
		start := time.Now()
		closeWithin(pub, 100*time.Millisecond)
		if took := time.Since(start); took > time.Second {
			t.Errorf("Close with a 100 ms deadline took %v while a reconnection was in flight", took)
		}
	}()
	if took > 3*time.Second {
		t.Errorf("Connect to three servers that never answer took %v, want about 1.5 s", took)
	}
	publishCalls(t, pub, 1) // queued, not lost: counted at Close
}

// TestConnectBoundsEveryScheme: the bound holds for every kind of URL
// nats.go dials through the publisher's dialer: websockets (ws:// sets its
// own read deadline; wss:// shakes hands in TLS before any deadline, and
// waited for ever) and TLS first.
func TestConnectBoundsEveryScheme(t *testing.T) {
	for _, tc := range []struct {
		scheme string
		opts   []nats.Option
	}{
		{"ws://", nil},
		{"wss://", nil},
		{"tls://", []nats.Option{nats.TLSHandshakeFirst()}},
	} {
		url := tc.scheme + testutil.SilentAddr(t)
		took := make(chan time.Duration, 1)
		go func() {
			start := time.Now()
			pub, err := harborai.Connect(url, harborai.WithNATSOptions(tc.opts...))
			d := time.Since(start)
			if err == nil {
				closeWithin(pub, 50*time.Millisecond)
			}
			took <- d
		}()
		select {
		case d := <-took:
			if d > 1500*time.Millisecond {
				t.Errorf("%s: Connect to a server that never answers took %v, want about 500 ms", tc.scheme, d)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s: Connect to a server that never answers has not returned in 10 s", tc.scheme)
		}
	}
}

// TestConnectWithoutRetryWaitsTheTimeout: an application that turned the
// background retry off (RetryOnFailedConnect(false)) gets Connect bounded
// by its nats.Timeout, not 500 ms: a server answering in 800 ms is
// connected to, where the bound would have failed Connect.
func TestConnectWithoutRetryWaitsTheTimeout(t *testing.T) {
	srv := startBroker(t)
	url := "nats://" + delayed(t, srv.ClientURL()[len("nats://"):], 800*time.Millisecond)
	pub, err := harborai.Connect(url, harborai.WithNATSOptions(nats.RetryOnFailedConnect(false), nats.Timeout(5*time.Second)))
	if err != nil {
		t.Fatalf("Connect() = %v, want a connection: the server answers within nats.Timeout", err)
	}
	publishCalls(t, pub, 3)
	closeWithin(pub, 5*time.Second)
	if st := pub.Stats(); st.Published != st.Attempted || st.Attempted == 0 {
		t.Errorf("Stats() = %+v, want every event published", st)
	}
}

// connectWithin connects to url, failing t unless Connect returned a
// publisher in about its 500 ms bound.
func connectWithin(t *testing.T, url string, opts ...harborai.Option) *harborai.Publisher {
	t.Helper()
	start := time.Now()
	pub, err := harborai.Connect(url, opts...)
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("Connect took %v, want about 500 ms", took)
	}
	return pub
}

// TestConnectPastASilentServer: when the first server of the URL never
// answers, Connect goes on to the next one within its call, and the events
// are published.
func TestConnectPastASilentServer(t *testing.T) {
	srv := startBroker(t)
	pub := connectWithin(t, "nats://"+testutil.SilentAddr(t)+","+srv.ClientURL(), harborai.WithNATSOptions(nats.DontRandomize()))
	publishCalls(t, pub, 10)
	closeWithin(pub, 10*time.Second)
	if st := pub.Stats(); st.Published != st.Attempted || st.Attempted == 0 {
		t.Errorf("Stats() = %+v, want every event published", st)
	}
}

// delayed returns a loopback host:port that forwards each connection to
// addr after delay: a server slow to answer (far away, or loaded).
func delayed(t *testing.T, addr string, delay time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	keep := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			keep(c)
			wg.Go(func() {
				time.Sleep(delay)
				s, err := net.Dial("tcp", addr)
				if err != nil {
					_ = c.Close()
					return
				}
				keep(s)
				go func() { _, _ = io.Copy(s, c); _ = s.Close() }()
				_, _ = io.Copy(c, s)
				_ = c.Close()
			})
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// TestConnectToASlowServer: a server that answers after Connect's bound
// (but within nats.Timeout) is connected to in the background, and the
// events queued meanwhile are published: none is lost.
func TestConnectToASlowServer(t *testing.T) {
	srv := startBroker(t)
	addr := srv.ClientURL()[len("nats://"):]
	pub := connectWithin(t, "nats://"+delayed(t, addr, 800*time.Millisecond))
	publishCalls(t, pub, 10)
	waitFor(t, 30*time.Second, "the events published", func() (bool, string) {
		st := pub.Stats()
		return st.Published == st.Attempted, ""
	})
	closeWithin(pub, 5*time.Second)
	if st := pub.Stats(); st.Published != st.Attempted || st.Attempted == 0 || st.Dropped != 0 {
		t.Errorf("Stats() = %+v, want every event published", st)
	}
}
