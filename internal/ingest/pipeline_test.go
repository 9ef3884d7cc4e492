package ingest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/harborai/ingest/internal/broker"
	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/internal/natstest"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/record"
)

// slowSink takes delay to store each batch, and counts how often each
// call was written.
type slowSink struct {
	delay  time.Duration
	mu     sync.Mutex
	writes map[string]int
}

func (s *slowSink) Write(ctx context.Context, calls []record.Call) error {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range calls {
		s.writes[c.CallID]++
	}
	return nil
}

func (s *slowSink) Close() error { return nil }

func (s *slowSink) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.writes))
	for k, v := range s.writes {
		out[k] = v
	}
	return out
}

type noQuarantine struct{}

func (noQuarantine) Quarantine(string, []byte, string) error { return nil }

// Batches waiting for a slow store longer than the ack wait are not
// redelivered meanwhile: each event is written once, and each call counted once
// in the metrics. One writer, one event per batch, each write 1.5 s, ack wait 2 s:
// the last of the four events (two calls) waits 6 s.
func TestHeldMessagesAreNotRedelivered(t *testing.T) {
	nc := natstest.Start(t).Conn(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	scfg := broker.DefaultStreamConfig()
	scfg.AckWait = 2 * time.Second
	cons, err := broker.EnsureStream(t.Context(), js, scfg)
	if err != nil {
		t.Fatal(err)
	}
	const n = 2
	for _, ev := range testutil.CallEvents(n) {
		data, err := event.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := js.Publish(t.Context(), event.Subject(ev.Kind), data); err != nil {
			t.Fatal(err)
		}
	}
	pricer, err := cost.NewPricer(cost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	sink := &slowSink{delay: 1500 * time.Millisecond, writes: map[string]int{}}
	cfg := ingest.DefaultConfig()
	cfg.BatchSize, cfg.Writers, cfg.FlushInterval, cfg.AckWait = 1, 1, 10*time.Millisecond, scfg.AckWait
	p := ingest.New(cfg, ingest.Deps{Consumer: cons, Sink: sink, SinkName: "slow", Pricer: pricer,
		Quarantine: noQuarantine{}, Metrics: ingest.NewMetrics(reg)})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	testutil.WaitFor(t, 30*time.Second, "every call written", func() (bool, string) {
		c := sink.counts()
		return len(c) == n && c["call-000000"]+c["call-000001"] >= 2*n, fmt.Sprintf("%v", c)
	})
	time.Sleep(2 * scfg.AckWait) // room for a redelivery to show
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run() = %v", err)
	}
	for id, w := range sink.counts() {
		if w != 2 {
			t.Errorf("call %s written %d times, want twice (its request, its response): %v", id, w, sink.counts())
		}
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		byName[f.GetName()] = f
	}
	if got := testutil.Metric(byName, "harborai_calls_total", "", ""); got != n {
		t.Errorf("harborai_calls_total = %v, want %d (one per response)", got, n)
	}
}
