package ingest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/testutil"
)

// TestUnwrittenBatchIsHandedBackAtShutdown: a pipeline stopped while its
// store fails hands the batch it could not write back to JetStream, so the
// next ingestor stores every call within seconds, not after the ack wait,
// and counts the events as redelivered.
func TestUnwrittenBatchIsHandedBackAtShutdown(t *testing.T) {
	s := newStream(t, 30*time.Second)
	s.publish(t, testutil.CallEvents(2)...)
	cfg := fastConfig()
	cfg.AckWait = s.cfg.AckWait
	cfg.ShutdownTimeout = 200 * time.Millisecond
	failing := newMemSink()
	failing.fail = true
	first := startPipeline(t, s.cons, cfg, failing, &memQuarantine{})
	testutil.WaitFor(t, 10*time.Second, "a failed write", func() (bool, string) {
		n := testutil.Metric(first.metrics(t), "harborai_sink_write_errors_total", "", "")
		return n >= 1, fmt.Sprintf("%v failed writes", n)
	})
	if err := first.stop(); err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if got := first.p.Stored(); got != 0 {
		t.Fatalf("Stored() = %d after only failed writes, want 0", got)
	}

	sink := newMemSink()
	next := startPipeline(t, s.cons, cfg, sink, &memQuarantine{})
	testutil.WaitFor(t, 10*time.Second, "both calls stored by the next pipeline, well before the 30 s ack wait", func() (bool, string) {
		c := sink.calls()
		complete := 0
		for _, call := range c {
			if call.HasRequest() && call.HasResponse() {
				complete++
			}
		}
		return complete == 2, fmt.Sprintf("%d calls, %d complete", len(c), complete)
	})
	if got := testutil.Metric(next.metrics(t), "harborai_redeliveries_total", "", ""); got != 4 {
		t.Errorf("harborai_redeliveries_total = %v, want 4 (every event, delivered a second time)", got)
	}
}

// TestEventThatCannotBeQuarantinedStaysInJetStream: while the quarantine
// cannot be written, a malformed event is not dropped: JetStream keeps it
// and it is quarantined, and counted, once the quarantine works.
func TestEventThatCannotBeQuarantinedStaysInJetStream(t *testing.T) {
	s := newStream(t, 0)
	s.publishRaw(t, []byte(`{"schema_version":1, "kind":`))
	q := &memQuarantine{failures: 1}
	r := startPipeline(t, s.cons, fastConfig(), newMemSink(), q)
	testutil.WaitFor(t, 20*time.Second, "the event quarantined once the quarantine works", func() (bool, string) {
		return q.count() == 1, fmt.Sprintf("%d quarantined", q.count())
	})
	if got := testutil.Metric(r.metrics(t), "harborai_events_rejected_total", "reason", "invalid_json"); got != 1 {
		t.Errorf(`harborai_events_rejected_total{reason="invalid_json"} = %v, want 1`, got)
	}
}

// TestShutdownWritesTheOpenBatch: a batch being written when the pipeline
// is stopped is finished within the shutdown timeout and acknowledged, not
// abandoned.
func TestShutdownWritesTheOpenBatch(t *testing.T) {
	s := newStream(t, 0)
	s.publish(t, testutil.CallEvents(2)...)
	sink := newMemSink()
	sink.delay = time.Second
	cfg := fastConfig()
	cfg.ShutdownTimeout = 10 * time.Second
	r := startPipeline(t, s.cons, cfg, sink, &memQuarantine{})
	select {
	case <-sink.started:
	case <-time.After(10 * time.Second):
		t.Fatal("no write started within 10s")
	}
	if err := r.stop(); err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if got := len(sink.calls()); got != 2 {
		t.Errorf("%d calls stored at shutdown, want 2", got)
	}
	if got := r.p.Stored(); got != 4 {
		t.Errorf("Stored() = %d after shutdown, want 4 (the open batch's events)", got)
	}
	// Acks are asynchronous: JetStream takes them shortly after.
	testutil.WaitFor(t, 5*time.Second, "every event acknowledged", func() (bool, string) {
		info, err := s.cons.Info(t.Context())
		if err != nil {
			return false, err.Error()
		}
		return info.NumAckPending == 0 && info.NumPending == 0, fmt.Sprintf("%d pending, %d unacknowledged", info.NumPending, info.NumAckPending)
	})
}
