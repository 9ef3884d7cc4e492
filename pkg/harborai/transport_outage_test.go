package harborai_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/harborai"
)

// TestTransportBrokerDown makes thousands of calls through the Transport
// while NATS is down: each completes, as fast as through a plain client,
// and every event is accounted for: published + dropped + spooled +
// buffered = attempted. With WithSpool the events end up in the spool, as
// events.
func TestTransportBrokerDown(t *testing.T) {
	checkLeaks(t)
	url := "nats://" + testutil.HangUpAddr(t) // the broker is down
	emu := startEmulator(t)
	n := 2000
	if testing.Short() {
		n = 300
	}

	tests := []struct {
		name  string
		spool bool
	}{
		{"events dropped and counted", false},
		{"events spooled", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			opts := []harborai.Option{harborai.WithQueueSize(256), harborai.WithRegisterer(reg)}
			dir := t.TempDir()
			if tt.spool {
				opts = append(opts, harborai.WithSpool(dir))
			}
			pub, err := harborai.Connect(url, opts...)
			if err != nil {
				t.Fatalf("Connect() = %v", err)
			}
			plain := &http.Client{Transport: baseTransport(t)}
			recorded := pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, emulatorBases(emu)...)
			vc := vendorCall{vendor: "openai", model: models["openai"]}
			call := func(c *http.Client, i int) time.Duration {
				req := vc.request(t, context.Background(), emu, fmt.Sprintf("call %d", i))
				start := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					t.Fatalf("Do() = %v", err)
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("call %d: status %d, read error %v", i, resp.StatusCode, err)
				}
				return time.Since(start)
			}
			plainLat := make([]time.Duration, n)
			recordedLat := make([]time.Duration, n)
			for i := range n {
				plainLat[i] = call(plain, i)
				recordedLat[i] = call(recorded, i)
			}

			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			if err := pub.Close(ctx); err == nil {
				t.Errorf("Close() = nil, want the deadline: nothing could be published")
			}
			st := pub.Stats()
			if st.Attempted != int64(2*n) || st.Published != 0 || st.Buffered != 0 {
				t.Errorf("Stats() = %+v, want %d attempted, 0 published, 0 buffered", st, 2*n)
			}
			if sum := st.Published + st.Dropped + st.Spooled + st.Buffered; sum != st.Attempted {
				t.Errorf("published + dropped + spooled + buffered = %d, want attempted %d (%+v)", sum, st.Attempted, st)
			}
			if !tt.spool && st.Dropped != st.Attempted {
				t.Errorf("Stats().Dropped = %d, want %d", st.Dropped, st.Attempted)
			}
			if got := metricSum(t, reg, "harborai_client_events_spooled_total"); got != float64(st.Spooled) {
				t.Errorf("harborai_client_events_spooled_total = %v, want %d", got, st.Spooled)
			}
			if got := metricSum(t, reg, "harborai_client_events_dropped_total"); got != float64(st.Dropped) {
				t.Errorf("harborai_client_events_dropped_total = %v, want %d", got, st.Dropped)
			}
			if tt.spool {
				if st.Spooled == 0 || st.Spooled+st.Dropped != st.Attempted {
					t.Errorf("Stats() = %+v, want every event spooled or dropped", st)
				}
				if got := spooledEvents(t, dir); got != st.Spooled {
					t.Errorf("spool holds %d events, want Stats().Spooled = %d", got, st.Spooled)
				}
			}

			mp, mr := median(plainLat), median(recordedLat) // sorts them
			t.Logf("latency median, p99: plain %v, %v; recorded %v, %v (median ratio %.2f); %+v",
				mp, plainLat[n*99/100], mr, recordedLat[n*99/100], float64(mr)/float64(mp), st)
			if mr > mp*3/2+2*time.Millisecond {
				t.Errorf("median latency through the Transport = %v, want about the plain client's %v", mr, mp)
			}
		})
	}
}

// metricSum is the sum of the values of a metric family in reg.
func metricSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather() = %v", err)
	}
	var sum float64
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// spooledEvents counts the events of the spool in dir, checking each
// decodes as an event.
func spooledEvents(t *testing.T, dir string) int64 {
	t.Helper()
	return int64(len(testutil.SpooledEvents(t, dir)))
}

// TestTransportTTFB checks the Transport does not delay the first byte of
// a stream: the median time to the first byte through it stays within a
// generous margin of a plain client's, calling a vendor that waits before
// answering.
func TestTransportTTFB(t *testing.T) {
	checkLeaks(t)
	srv := startBroker(t)
	emu := startEmulator(t)
	pub := connect(t, srv.ClientURL())
	plain := &http.Client{Transport: baseTransport(t)}
	recorded := pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, emulatorBases(emu)...)

	for _, vendor := range []string{"openai", "anthropic"} { // include_usage added, and not
		t.Run(vendor, func(t *testing.T) {
			vc := vendorCall{vendor: vendor, model: models[vendor], stream: true}
			ttfb := func(c *http.Client) time.Duration {
				req := vc.request(t, context.Background(), emu, "ttfb")
				req.Header.Set("X-Emulator-Latency", "20ms")
				req.Header.Set("X-Emulator-Chunk-Delay", "5ms")
				req.Header.Set("X-Emulator-Chunks", "3")
				start := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					t.Fatalf("Do() = %v", err)
				}
				defer resp.Body.Close()
				if _, err := resp.Body.Read(make([]byte, 1)); err != nil {
					t.Fatalf("Read() = %v", err)
				}
				d := time.Since(start)
				_, _ = io.Copy(io.Discard, resp.Body)
				return d
			}
			const runs = 11
			var p, r []time.Duration
			for range runs {
				p = append(p, ttfb(plain))
				r = append(r, ttfb(recorded))
			}
			mp, mr := median(p), median(r)
			t.Logf("median time to first byte: plain %v, recorded %v", mp, mr)
			if mr-mp >= 50*time.Millisecond {
				t.Errorf("median time to first byte through the Transport = %v, plain %v: want less than 50ms more", mr, mp)
			}
		})
	}
}
