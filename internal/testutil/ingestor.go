package testutil

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/store"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
	"github.com/harborai/ingest/pkg/record"
)

// Ingestor is a daemon started by StartIngestor.
type Ingestor struct {
	Cfg      ingestor.Config
	NATSURL  string
	HTTPAddr string
	stop     func() error
}

// StartIngestor runs the daemon in the background (embedded NATS on a free
// port unless cfg.NATSURL is set, metrics on a free port, a temp data dir
// unless set) and stops it at cleanup, failing the test if Run failed.
func StartIngestor(t testing.TB, cfg ingestor.Config, lookup func(string) (string, bool)) *Ingestor {
	t.Helper()
	if cfg.DataDir == "" || cfg.DataDir == ingestor.DefaultConfig().DataDir {
		cfg.DataDir = t.TempDir()
	}
	if cfg.NATSURL == "" {
		cfg.NATSListen = "127.0.0.1:0"
	}
	cfg.MetricsAddr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- ingestor.Run(ctx, cfg, ingestor.Deps{Lookup: lookup, Started: func(n, h string) { started <- [2]string{n, h} }})
	}()
	in := &Ingestor{Cfg: cfg}
	var stopped bool
	var runErr error
	in.stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(30 * time.Second):
				runErr = fmt.Errorf("ingestor did not stop within 30s")
			}
		}
		return runErr
	}
	t.Cleanup(func() {
		if err := in.stop(); err != nil {
			t.Errorf("ingestor.Run() = %v, want nil", err)
		}
	})
	select {
	case a := <-started:
		in.NATSURL, in.HTTPAddr = a[0], a[1]
	case err := <-done:
		t.Fatalf("ingestor.Run() = %v before it started", err)
	case <-time.After(60 * time.Second):
		t.Fatal("ingestor did not start within 60s")
	}
	return in
}

// Stop stops the ingestor and returns Run's error.
func (in *Ingestor) Stop() error { return in.stop() }

// Store opens the store the ingestor writes (PostgreSQL or its spool).
func (in *Ingestor) Store(t testing.TB) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), in.Cfg.PostgresURL, in.Cfg.DataDir)
	if err != nil {
		t.Fatalf("store.Open() = %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// Calls lists every stored call.
func Calls(t testing.TB, st store.Store) []record.Call {
	t.Helper()
	calls, err := st.List(context.Background(), store.Filter{Limit: 1 << 30})
	if err != nil {
		t.Fatalf("List() = %v", err)
	}
	return calls
}

// Publish publishes events through the client package and waits for acks.
func Publish(t testing.TB, natsURL string, evs []*event.Event) {
	t.Helper()
	pub, err := harborai.Connect(natsURL, harborai.WithQueueSize(len(evs)+1))
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	for _, ev := range evs {
		e := *ev
		if err := pub.Publish(&e); err != nil {
			t.Fatalf("Publish() = %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := pub.Close(ctx); err != nil {
		t.Fatalf("Close() = %v (stats %+v)", err, pub.Stats())
	}
}

// WaitComplete polls st until it holds n calls, none pending.
func WaitComplete(t testing.TB, st store.Store, n int) []record.Call {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		calls := Calls(t, st)
		complete := 0
		for i := range calls {
			if calls[i].HasResponse() && calls[i].HasRequest() {
				complete++
			}
		}
		if len(calls) == n && complete == n {
			return calls
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %d calls, %d complete, want %d", len(calls), complete, n)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
