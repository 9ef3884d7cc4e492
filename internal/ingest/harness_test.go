package ingest_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/harborai/ingest/internal/broker"
	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/internal/natstest"
	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/record"
)

// stream is an in-process JetStream with the ingestor's stream and
// consumer, for tests that run a Pipeline against it.
type stream struct {
	js   jetstream.JetStream
	cons jetstream.Consumer
	cfg  broker.StreamConfig
}

func newStream(t *testing.T, ackWait time.Duration) *stream {
	t.Helper()
	js, err := jetstream.New(natstest.Start(t).Conn(t))
	if err != nil {
		t.Fatal(err)
	}
	scfg := broker.DefaultStreamConfig()
	if ackWait > 0 {
		scfg.AckWait = ackWait
	}
	cons, err := broker.EnsureStream(t.Context(), js, scfg)
	if err != nil {
		t.Fatal(err)
	}
	return &stream{js: js, cons: cons, cfg: scfg}
}

// publish publishes each event as its own message.
func (s *stream) publish(t *testing.T, evs ...*event.Event) {
	t.Helper()
	for _, ev := range evs {
		data, err := event.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		s.publishRaw(t, data)
	}
}

func (s *stream) publishRaw(t *testing.T, data []byte) {
	t.Helper()
	if _, err := s.js.Publish(t.Context(), event.Subject(event.KindCall), data); err != nil {
		t.Fatalf("Publish() = %v", err)
	}
}

// memSink stores batches in memory; fail, while set, fails every write.
type memSink struct {
	mu      sync.Mutex
	delay   time.Duration
	fail    bool
	batches [][]record.Call
	started chan struct{} // closed at the first write attempt
	once    sync.Once
}

func newMemSink() *memSink { return &memSink{started: make(chan struct{})} }

func (s *memSink) Write(ctx context.Context, calls []record.Call) error {
	s.once.Do(func() { close(s.started) })
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("store unavailable")
	}
	s.batches = append(s.batches, append([]record.Call(nil), calls...))
	return nil
}

func (s *memSink) Close() error { return nil }

// calls returns every call written, its fragments merged, by call id.
func (s *memSink) calls() map[string]*record.Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []record.Call
	for _, b := range s.batches {
		all = append(all, b...)
	}
	merged := ingest.MergeBatch(all)
	out := make(map[string]*record.Call, len(merged))
	for i := range merged {
		out[merged[i].CallID] = &merged[i]
	}
	return out
}

// memQuarantine keeps quarantined input; failures, while > 0, fail that
// many Quarantine calls first.
type memQuarantine struct {
	mu       sync.Mutex
	failures int
	reasons  []string
}

func (q *memQuarantine) Quarantine(reason string, _ []byte, _ string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.failures > 0 {
		q.failures--
		return errors.New("quarantine disk full")
	}
	q.reasons = append(q.reasons, reason)
	return nil
}

func (q *memQuarantine) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.reasons)
}

// running is a Pipeline running in the background.
type running struct {
	p      *ingest.Pipeline
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// startPipeline runs a pipeline on s's consumer; it is stopped at cleanup.
func startPipeline(t *testing.T, cons jetstream.Consumer, cfg ingest.Config, sink ingest.Sink, q ingest.Quarantiner) *running {
	t.Helper()
	pricer, err := cost.NewPricer(cost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &running{reg: prometheus.NewRegistry(), done: make(chan error, 1)}
	r.p = ingest.New(cfg, ingest.Deps{Consumer: cons, Sink: sink, SinkName: "mem", Pricer: pricer,
		Quarantine: q, Metrics: ingest.NewMetrics(r.reg)})
	ctx, cancel := context.WithCancel(t.Context())
	r.cancel = cancel
	go func() { r.done <- r.p.Run(ctx) }()
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("Run() = %v", err)
		}
	})
	return r
}

// stop cancels the pipeline and waits for Run to return.
func (r *running) stop() error {
	r.once.Do(func() {
		r.cancel()
		select {
		case r.err = <-r.done:
		case <-time.After(30 * time.Second):
			r.err = errors.New("Run did not return within 30s of its context ending")
		}
	})
	return r.err
}

func (r *running) metrics(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

// fastConfig is the pipeline's default configuration with a short flush
// interval, so tests do not wait on it.
func fastConfig() ingest.Config {
	cfg := ingest.DefaultConfig()
	cfg.FlushInterval = 10 * time.Millisecond
	return cfg
}
