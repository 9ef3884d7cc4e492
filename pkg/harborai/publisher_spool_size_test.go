package harborai_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/internal/replay"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
	"github.com/harborai/ingest/pkg/record"
)

// collected is a replay.Writer that keeps the calls.
type collected struct {
	mu    sync.Mutex
	calls []record.Call
}

func (w *collected) Write(_ context.Context, calls []record.Call) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, calls...)
	return nil
}

// TestSpooledLargeCallIsReplayable: an event larger than the replayer reads
// (event.MaxSize) goes to the spool without its bodies, as it would go to
// the broker, so the call the publisher counts as spooled is stored.
// Before, it was spooled whole, and the replayer quarantined it.
func TestSpooledLargeCallIsReplayable(t *testing.T) {
	dir := t.TempDir()
	pub, err := harborai.Connect("nats://"+testutil.HangUpAddr(t), harborai.WithSpool(dir))
	if err != nil {
		t.Fatal(err)
	}
	half := strings.Repeat("x", 9<<19) // two of them: 9 MiB
	_ = pub.LogCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"},
		event.Request{Body: `{"prompt":"` + half + `"}`},
		event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: `{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},"pad":"` + half + `"}`})
	closeWithin(pub, 300*time.Millisecond)
	if st := pub.Stats(); st.Spooled != 1 {
		t.Fatalf("Stats() = %+v, want the event spooled", st)
	}
	pricer, err := cost.NewPricer(cost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := new(collected)
	sum, err := replay.Run(context.Background(), dir, w, nil, replay.Options{Pricer: pricer, Build: ingest.BuildOptions{KeepBodies: true}})
	if err != nil {
		t.Fatalf("replay.Run() = %v", err)
	}
	if len(w.calls) != 1 || sum.Quarantined != 0 {
		t.Fatalf("the replayer stored %d calls, quarantined %d (%+v), want the spooled call stored", len(w.calls), sum.Quarantined, sum)
	}
	c := w.calls[0]
	if c.RequestBody != nil && *c.RequestBody != "" {
		t.Errorf("request body of %d bytes, want it left out", len(*c.RequestBody))
	}
	if c.ResponseBody == nil || len(*c.ResponseBody) < 9<<19 {
		t.Errorf("the response body (4.5 MiB, within the limit once the request's is left out) was left out too: %v", c.ResponseBody != nil)
	}
	if c.Usage == nil || c.Usage.TotalTokens == nil || *c.Usage.TotalTokens != 3 {
		t.Errorf("usage %+v, want the response's 3 tokens", c.Usage)
	}
}

// TestOneLargeEventInASpoolBatch: an event whose encoding is larger than
// its bodies (escaped: each "<" takes six bytes) does not make the spool
// refuse the other events of its batch.
func TestOneLargeEventInASpoolBatch(t *testing.T) {
	dir := t.TempDir()
	pub, err := harborai.Connect("nats://"+testutil.HangUpAddr(t), harborai.WithSpool(dir))
	if err != nil {
		t.Fatal(err)
	}
	publishCalls(t, pub, 100)
	_ = pub.LogCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"},
		event.Request{Body: `{"prompt":"x"}`},
		event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: strings.Repeat("<", 11<<20)})
	closeWithin(pub, 300*time.Millisecond)
	st := pub.Stats()
	if got := spooledEvents(t, dir); got != 101 || st.Spooled != 101 || st.Dropped != 0 {
		t.Errorf("the spool holds %d events, Stats() = %+v; want all 101 spooled, the large one without its body", got, st)
	}
}
