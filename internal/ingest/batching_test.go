package ingest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/event"
)

// TestBatchesHoldAtMostBatchSize: with events waiting, each write holds
// BatchSize events, never more.
func TestBatchesHoldAtMostBatchSize(t *testing.T) {
	s := newStream(t, 0)
	const n = 10
	for _, ev := range testutil.CallEvents(n) {
		if ev.Kind == event.KindResponse { // one event per call: calls = events
			s.publish(t, ev)
		}
	}
	sink := newMemSink()
	cfg := fastConfig()
	cfg.BatchSize, cfg.Writers, cfg.FlushInterval = 3, 1, time.Second
	startPipeline(t, s.cons, cfg, sink, &memQuarantine{})
	testutil.WaitFor(t, 15*time.Second, "every call stored", func() (bool, string) {
		c := len(sink.calls())
		return c == n, fmt.Sprintf("%d calls", c)
	})
	sink.mu.Lock()
	defer sink.mu.Unlock()
	for i, b := range sink.batches {
		if len(b) > cfg.BatchSize {
			t.Errorf("batch %d holds %d events, want at most %d", i, len(b), cfg.BatchSize)
		}
	}
}

// TestLargestEventDoesNotStallTheConsumer: an event just under the largest
// the broker takes (8 MiB) is stored, and so is the event after it, even
// with small batches.
func TestLargestEventDoesNotStallTheConsumer(t *testing.T) {
	s := newStream(t, 0)
	evs := testutil.CallEvents(2)
	big := *evs[0]
	big.Response.Body = `{"x":"` + strings.Repeat("x", 7<<20) + `"}`
	s.publish(t, &big, evs[2])
	sink := newMemSink()
	cfg := fastConfig()
	cfg.BatchSize = 1
	startPipeline(t, s.cons, cfg, sink, &memQuarantine{})
	testutil.WaitFor(t, 20*time.Second, "the large event and the next one stored", func() (bool, string) {
		c := sink.calls()
		got := c[big.CallID]
		return got != nil && got.HasResponse() && len(c) == 2, fmt.Sprintf("%d calls", len(c))
	})
}
