package ingest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/testutil"
)

// TestReceivedCountsOnlyReadableEvents: a malformed event is counted as
// rejected, not as received; a first delivery is not a redelivery.
func TestReceivedCountsOnlyReadableEvents(t *testing.T) {
	s := newStream(t, 0)
	s.publishRaw(t, []byte(`{"schema_version":1, "kind":`))
	s.publish(t, testutil.CallEvents(1)...)
	sink, q := newMemSink(), &memQuarantine{}
	r := startPipeline(t, s.cons, fastConfig(), sink, q)
	testutil.WaitFor(t, 10*time.Second, "the call stored and the bad event quarantined", func() (bool, string) {
		c := sink.calls()["call-000000"]
		return c != nil && c.HasRequest() && c.HasResponse() && q.count() == 1, fmt.Sprintf("%d calls, %d quarantined", len(sink.calls()), q.count())
	})
	m := r.metrics(t)
	for _, c := range []struct {
		name, label, value string
		want               float64
	}{
		{"harborai_events_received_total", "", "", 2},
		{"harborai_events_received_total", "kind", "request", 1},
		{"harborai_events_received_total", "kind", "response", 1},
		{"harborai_events_rejected_total", "reason", "invalid_json", 1},
		{"harborai_redeliveries_total", "", "", 0},
		{"harborai_calls_total", "", "", 1},
	} {
		series := c.name
		if c.label != "" {
			series += fmt.Sprintf("{%s=%q}", c.label, c.value)
		}
		if got := testutil.Metric(m, c.name, c.label, c.value); got != c.want {
			t.Errorf("%s = %v, want %v", series, got, c.want)
		}
	}
}

// TestLagGauges: harborai_consumer_pending is what JetStream has not
// delivered yet, harborai_consumer_ack_pending what it delivered and waits
// to see acknowledged. Here the store never answers: every event is
// delivered, none acknowledged.
func TestLagGauges(t *testing.T) {
	s := newStream(t, 0)
	s.publish(t, testutil.CallEvents(2)...)
	sink := newMemSink()
	sink.delay = time.Hour
	cfg := fastConfig()
	cfg.ShutdownTimeout = 100 * time.Millisecond
	r := startPipeline(t, s.cons, cfg, sink, &memQuarantine{})
	testutil.WaitFor(t, 15*time.Second, "the gauges showing 4 unacknowledged, 0 waiting", func() (bool, string) {
		m := r.metrics(t)
		pending, ack := testutil.Metric(m, "harborai_consumer_pending", "", ""), testutil.Metric(m, "harborai_consumer_ack_pending", "", "")
		return pending == 0 && ack == 4, fmt.Sprintf("pending %v, ack pending %v", pending, ack)
	})
}
