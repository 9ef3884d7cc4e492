package harborai_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/harborai/ingest/internal/natstest"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// publishCalls logs n calls through pub, each returning at once.
func publishCalls(t *testing.T, pub *harborai.Publisher, n int) {
	t.Helper()
	for i := range n {
		req := event.Request{Body: fmt.Sprintf(`{"prompt":"call %d"}`, i)}
		resp := event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: `{"ok":true}`}
		_ = pub.LogCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"}, req, resp) // counted either way
	}
}

// closeWithin closes pub with a deadline of d.
func closeWithin(pub *harborai.Publisher, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_ = pub.Close(ctx) // the deadline may pass: the events are counted
}

// TestRetriesCounted publishes to a broker without the events stream, where
// every publish fails once the server answers: the failures show in
// Stats().Retried and in harborai_client_publish_retries_total alike.
func TestRetriesCounted(t *testing.T) {
	checkLeaks(t)
	srv := natstest.Start(t) // no stream: each publish fails, asynchronously
	reg := prometheus.NewRegistry()
	pub := connect(t, srv.ClientURL(), harborai.WithRegisterer(reg), harborai.WithBatch(1))
	publishCalls(t, pub, 10)
	waitFor(t, 10*time.Second, "failed publishes retried", func() (bool, string) {
		st := pub.Stats()
		return st.Retried > 0, fmt.Sprintf("%+v", st)
	})
	closeWithin(pub, 100*time.Millisecond)
	st := pub.Stats()
	if st.Published != 0 || st.Retried == 0 {
		t.Errorf("Stats() = %+v, want none published and some retried", st)
	}
	if got := metricSum(t, reg, "harborai_client_publish_retries_total"); got != float64(st.Retried) {
		t.Errorf("harborai_client_publish_retries_total = %v, want Stats().Retried = %d", got, st.Retried)
	}
}

// TestCloseSpoolsRetries closes a spooling publisher whose publishes fail
// and whose broker is then gone: the events waiting for a retry, and the
// one being retried when Close gives up, go to the spool; none is dropped.
func TestCloseSpoolsRetries(t *testing.T) {
	checkLeaks(t)
	srv := natstest.Start(t) // no stream: each publish fails, asynchronously
	dir := t.TempDir()
	pub := connect(t, srv.ClientURL(), harborai.WithSpool(dir), harborai.WithBatch(1), harborai.WithFlushInterval(0))
	const n = 50
	publishCalls(t, pub, n)
	waitFor(t, 10*time.Second, "every event failed once", func() (bool, string) {
		st := pub.Stats()
		return st.Retried >= n, fmt.Sprintf("%+v", st)
	})
	// The publishes awaiting their answer fail as the connection drops,
	// into the retry queue; the first retried waits for the broker.
	srv.Shutdown()
	closeWithin(pub, 200*time.Millisecond)

	st := pub.Stats()
	if st.Attempted != n || st.Dropped != 0 || st.Buffered != 0 || st.Spooled != st.Attempted-st.Published {
		t.Errorf("Stats() = %+v, want %d attempted, none dropped, the unpublished spooled", st, n)
	}
	if got := spooledEvents(t, dir); got != st.Attempted-st.Published {
		t.Errorf("spool holds %d events, want attempted - published = %d", got, st.Attempted-st.Published)
	}
}

// TestSpoolFailureCounted spools to a directory that is gone (a regular
// file stands in its place) while the broker is down: the events the spool
// could not write are dropped, and the metric says so under its reason.
func TestSpoolFailureCounted(t *testing.T) {
	checkLeaks(t)
	url := "nats://" + testutil.HangUpAddr(t)
	dir := filepath.Join(t.TempDir(), "spool")
	reg := prometheus.NewRegistry()
	pub := connect(t, url, harborai.WithSpool(dir), harborai.WithQueueSize(8), harborai.WithRegisterer(reg))
	// Segments are created at the first append: none can be now.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	const n = 100
	publishCalls(t, pub, n)
	closeWithin(pub, 100*time.Millisecond)

	st := pub.Stats()
	if st.Attempted != n || st.Spooled != 0 || st.Dropped != n {
		t.Errorf("Stats() = %+v, want all %d dropped, none spooled", st, n)
	}
	if got := metricSum(t, reg, "harborai_client_events_dropped_total"); got != float64(st.Dropped) {
		t.Errorf("harborai_client_events_dropped_total = %v, want Stats().Dropped = %d", got, st.Dropped)
	}
	if got := metricSeries(t, reg, "harborai_client_events_dropped_total", "reason", "spool_failed"); got == 0 {
		t.Errorf(`harborai_client_events_dropped_total{reason="spool_failed"} = %v, want > 0`, got)
	}
}

// metricSeries is the value of the series of a metric family in reg whose
// label has value.
func metricSeries(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather() = %v", err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue() + m.GetGauge().GetValue()
				}
			}
		}
	}
	return 0
}
