package harborai_test

import (
	"context"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/natstest"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// TestCloseKeepsItsDeadlineWhileStalled: with as many messages awaiting
// their acks as WithMaxPending allows, a publish waits inside nats.go for
// room; Close's deadline must still hold (nats.go's own wait is 200 ms),
// for a publisher made with New too (no connection of its own to cut), and
// the waits are not counted as retries: nothing was sent again.
func TestCloseKeepsItsDeadlineWhileStalled(t *testing.T) {
	srv := natstest.Start(t) // no stream: nothing acks
	sub, err := srv.Conn(t).SubscribeSync(event.SubjectWildcard)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	var worst time.Duration
	for range 3 {
		pub, err := harborai.New(srv.Conn(t), harborai.WithMaxPending(1), harborai.WithBatch(1), harborai.WithFlushInterval(0))
		if err != nil {
			t.Fatal(err)
		}
		publishCalls(t, pub, 20)
		time.Sleep(300 * time.Millisecond) // the first message awaits its ack; the next stall
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		start := time.Now()
		_ = pub.Close(ctx)
		took := time.Since(start)
		cancel()
		worst = max(worst, took)
		st := pub.Stats()
		if st.Retried != 0 || st.Dropped != st.Attempted {
			t.Errorf("Stats() = %+v, want every event dropped at Close and none retried", st)
		}
	}
	if worst > 100*time.Millisecond {
		t.Errorf("Close with a 20 ms deadline took up to %v", worst)
	}
}
