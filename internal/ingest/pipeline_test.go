package ingest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/testutil"
)

// Batches waiting for a slow store longer than the ack wait are not
// redelivered meanwhile: each event is written once, and each call counted once
// in the metrics. One writer, one event per batch, each write 1.5 s, ack wait 2 s:
// the last of the four events (two calls) waits 6 s.
func TestHeldMessagesAreNotRedelivered(t *testing.T) {
	s := newStream(t, 2*time.Second)
	const n = 2
	s.publish(t, testutil.CallEvents(n)...)
	sink := newMemSink()
	sink.delay = 1500 * time.Millisecond
	cfg := fastConfig()
	cfg.BatchSize, cfg.Writers, cfg.AckWait = 1, 1, s.cfg.AckWait
	r := startPipeline(t, s.cons, cfg, sink, &memQuarantine{})
	writes := func() map[string]int {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		out := map[string]int{}
		for _, b := range sink.batches {
			for _, c := range b {
				out[c.CallID]++
			}
		}
		return out
	}
	testutil.WaitFor(t, 30*time.Second, "every call written", func() (bool, string) {
		c := writes()
		return len(c) == n && c["call-000000"]+c["call-000001"] >= 2*n, fmt.Sprintf("%v", c)
	})
	time.Sleep(2 * s.cfg.AckWait) // room for a redelivery to show
	if err := r.stop(); err != nil {
		t.Fatalf("Run() = %v", err)
	}
	for id, w := range writes() {
		if w != 2 {
			t.Errorf("call %s written %d times, want twice (its request, its response): %v", id, w, writes())
		}
	}
	if got := testutil.Metric(r.metrics(t), "harborai_calls_total", "", ""); got != n {
		t.Errorf("harborai_calls_total = %v, want %d (one per response)", got, n)
	}
}
