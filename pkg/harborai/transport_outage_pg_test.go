package harborai_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/broker"
	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// TestTransportBrokerRestartInPostgres: 50 goroutines call ten vendors,
// streams and not, through the Transport while NATS (apart from the
// ingestor, as at scale) is stopped and started again on its port and
// store. Every call succeeds for the application, every event is published
// once NATS is back (published = attempted, nothing dropped), and every call
// is stored in PostgreSQL exactly once with its ids, provider, model, status
// and tokens. Half the calls have their ids made on the caller's goroutine
// (WithOnCall), half by the publisher (the default). The latencies before,
// during and after the outage are logged, not asserted (TestTransportBrokerDown
// compares them with plain calls).
func TestTransportBrokerRestartInPostgres(t *testing.T) {
	checkLeaks(t)
	natsCfg := broker.EmbeddedConfig{Listen: freeAddr(t), StoreDir: t.TempDir(), MaxPayload: 8 << 20}
	srv, err := broker.StartEmbedded(natsCfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var srvMu sync.Mutex
	t.Cleanup(func() {
		srvMu.Lock()
		defer srvMu.Unlock()
		srv.Shutdown()
	})
	ensureStream(t, srv)

	cfg := ingestor.DefaultConfig()
	cfg.FlushInterval = 20 * time.Millisecond
	cfg.NATSURL = srv.ClientURL()
	cfg.PostgresURL = pgtest.Start(t).NewDB(t)
	p := &pipeline{Ingestor: testutil.StartIngestor(t, cfg, nil), natsURL: srv.ClientURL()}

	emu := startEmulator(t)
	pub := connect(t, srv.ClientURL())
	var ids idsOf
	clients := []*http.Client{
		pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, append(emulatorBases(emu), harborai.WithOnCall(ids.hook))...),
		pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, emulatorBases(emu)...),
	}

	vendors := []string{"openai", "anthropic", "gemini", "deepseek", "zhipu", "openai_responses", "qwen_native", "wenxin_v1", "moonshot", "azure"}
	const workers, perWorker = 50, 60
	const total = workers * perWorker
	type made struct {
		vc      vendorCall
		onCall  bool          // ids made on the caller's goroutine
		outage  int32         // 0 before the stop, 1 while stopped, 2 after
		latency time.Duration // to the body's end
	}
	var (
		mu    sync.Mutex
		calls = map[string]made{}
		done  atomic.Int64
		phase atomic.Int32
		wg    sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				v := vendors[(w+i)%len(vendors)]
				vc := vendorCall{vendor: v, model: models[v], stream: (w+i)%2 == 0}
				name := fmt.Sprintf("w%d-%d-%s", w, i, v)
				onCall := w%2 == 0
				req := tagCase(vc.request(t, context.Background(), emu, name), name, harborai.CallInfo{})
				req.Header.Set("X-Test-Case", name)
				req.Header.Set(emulator.HeaderUsage, wantUsage.String())
				outage := phase.Load()
				start := time.Now()
				resp, err := clients[w%2].Do(req)
				if err != nil {
					t.Errorf("%s: Do() = %v", name, err)
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Errorf("%s: HTTP %d, read %v", name, resp.StatusCode, err)
					return
				}
				mu.Lock()
				calls[name] = made{vc, onCall, outage, time.Since(start)}
				mu.Unlock()
				done.Add(1)
				time.Sleep(50 * time.Millisecond) // an application's pace: the outage falls mid-run
			}
		})
	}
	time.Sleep(time.Second)
	srvMu.Lock()
	srv.Shutdown()
	srvMu.Unlock()
	phase.Store(1)
	t.Logf("NATS stopped after %d calls", done.Load())
	time.Sleep(1500 * time.Millisecond)
	srvMu.Lock()
	srv, err = broker.StartEmbedded(natsCfg, nil)
	srvMu.Unlock()
	if err != nil {
		t.Fatalf("start NATS again: %v", err)
	}
	phase.Store(2)
	t.Logf("NATS started again after %d calls", done.Load())
	wg.Wait()
	if t.Failed() {
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pub.Close(ctx); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if st := pub.Stats(); st.Attempted != 2*total || st.Published != st.Attempted || st.Dropped != 0 || st.Buffered != 0 {
		t.Errorf("Stats() = %+v, want %d events attempted and published, none dropped or left", st, 2*total)
	}
	var latencies [3][]time.Duration
	for _, c := range calls {
		latencies[c.outage] = append(latencies[c.outage], c.latency)
	}
	for i, what := range []string{"before the stop", "while stopped", "after the start"} {
		if l := latencies[i]; len(l) > 0 {
			t.Logf("%s: %d calls, median latency %v", what, len(l), median(l))
		}
	}

	_ = storedByCase(t, p, total, 60*time.Second)
	time.Sleep(time.Second) // a duplicate, if any, lands
	byCase := storedByCase(t, p, total, 0)
	for name, m := range calls {
		cs := byCase[name]
		if len(cs) != 1 {
			t.Errorf("%s: stored %d times, want once", name, len(cs))
			continue
		}
		c := cs[0]
		if m.onCall {
			if want, _ := ids.get(name); [4]string{c.CallID, c.HBTraceID, c.TraceID, c.SpanID} != want {
				t.Errorf("%s: stored ids %q %q %q %q, the application was told %q", name, c.CallID, c.HBTraceID, c.TraceID, c.SpanID, want)
			}
		} else if !event.ValidHBTraceID(c.HBTraceID) || !event.ValidTraceID(c.TraceID) || !event.ValidSpanID(c.SpanID) {
			t.Errorf("%s: stored ids %q %q %q", name, c.HBTraceID, c.TraceID, c.SpanID)
		}
		if c.Provider != providerOf(m.vc.vendor) || c.Model != m.vc.model || c.Stream != m.vc.stream || c.Status != event.StatusSuccess {
			t.Errorf("%s: %s", name, describe(c))
		}
		checkUsage(t, m.vc.vendor, c)
	}
	if len(byCase) != len(calls) {
		t.Errorf("%d cases stored, %d made", len(byCase), len(calls))
	}
}

// TestTransportOutcomesEveryVendorInPostgres: for every vendor of the
// emulator, in PostgreSQL, a stream the application closes after its first
// bytes is stored abandoned; a connection reset before the response, and
// one in the middle of a stream, are stored as errors of type transport.
// Each call once.
func TestTransportOutcomesEveryVendorInPostgres(t *testing.T) {
	checkLeaks(t)
	cfg := ingestor.DefaultConfig()
	cfg.FlushInterval = 20 * time.Millisecond
	cfg.PostgresURL = pgtest.Start(t).NewDB(t)
	in := testutil.StartIngestor(t, cfg, nil)
	p := &pipeline{Ingestor: in, natsURL: in.NATSURL}
	emu := startEmulator(t)
	pub := connect(t, p.natsURL)
	client := pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, emulatorBases(emu)...)

	type outcome struct{ status, errorType string }
	want := map[string]outcome{}
	for _, v := range emulator.Vendors() {
		for _, mode := range []string{"closed-early", "reset_early", "reset"} {
			name := v + "/" + mode
			vc := vendorCall{vendor: v, model: models[v], stream: mode != "reset_early"}
			req := tagCase(vc.request(t, context.Background(), emu, name), name, harborai.CallInfo{})
			req.Header.Set(emulator.HeaderUsage, wantUsage.String())
			if mode == "closed-early" {
				req.Header.Set(emulator.HeaderChunks, "50")
				req.Header.Set(emulator.HeaderChunkDelay, "2ms")
			} else {
				req.Header.Set(emulator.HeaderFail, mode)
			}
			resp, err := client.Do(req)
			switch mode {
			case "reset_early":
				if err == nil {
					_ = resp.Body.Close()
					t.Errorf("%s: Do() = nil error, want the reset", name)
				}
				want[name] = outcome{event.StatusError, "transport"}
			case "closed-early":
				if err != nil {
					t.Fatalf("%s: Do() = %v", name, err)
				}
				if _, err := io.ReadFull(resp.Body, make([]byte, 16)); err != nil {
					t.Fatalf("%s: read = %v", name, err)
				}
				_ = resp.Body.Close()
				want[name] = outcome{event.StatusAbandoned, ""}
			case "reset":
				if err != nil {
					t.Fatalf("%s: Do() = %v", name, err)
				}
				if _, err := io.ReadAll(resp.Body); err == nil {
					t.Errorf("%s: read the whole body, want the reset", name)
				}
				_ = resp.Body.Close()
				want[name] = outcome{event.StatusError, "transport"}
			}
		}
	}
	byCase := storedByCase(t, p, len(want), 30*time.Second)
	for name, w := range want {
		cs := byCase[name]
		if len(cs) != 1 {
			t.Errorf("%s: stored %d times, want once", name, len(cs))
			continue
		}
		// No usage is read from a reply cut short.
		if c := cs[0]; c.Status != w.status || c.ErrorType != w.errorType || w.status == event.StatusError && c.Usage != nil && !c.Usage.UsageMissing {
			t.Errorf("%s: stored %s", name, describe(c))
		}
	}
	if len(byCase) != len(want) {
		t.Errorf("%d cases stored, %d made", len(byCase), len(want))
	}
}
