package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// Window is how many events the benchmarks let wait in a publisher
// (queued or awaiting their ack) before they hold back: a producer going
// as fast as the pipeline takes its events, without drops and without
// holding the whole run in memory.
const Window = 16384

// Connect returns a publisher to url sized for the benchmarks: a queue
// that holds Window events with room to spare.
func Connect(url string) (*harborai.Publisher, error) {
	return harborai.Connect(url, harborai.WithQueueSize(2*Window), harborai.WithQueueBytes(1<<30))
}

// Events makes calls [from, from+n) of gen: with callEvents each call is
// one call event, else a request and a response event. The ingest runs make
// them before the clock starts, as the CopyFrom baseline prepares its rows:
// what is timed is publishing and ingesting, not making up traffic.
func Events(gen Gen, from, n int, callEvents bool, started time.Time) []*event.Event {
	evs := make([]*event.Event, 0, 2*n)
	for i := from; i < from+n; i++ {
		at := started.Add(time.Duration(i) * time.Millisecond)
		if callEvents {
			evs = append(evs, gen.CallEvent(i, at))
			continue
		}
		req, resp := gen.Call(i, at)
		evs = append(evs, req, resp)
	}
	return evs
}

// Flood publishes evs as fast as the publisher accepts them, keeping at
// most Window events buffered. It returns when all are given to Publish
// (not yet acknowledged); the publisher owns them from then on.
func Flood(ctx context.Context, pub *harborai.Publisher, evs []*event.Event) error {
	for i, ev := range evs {
		for pub.Stats().Buffered >= Window {
			if err := ctx.Err(); err != nil {
				return err
			}
			time.Sleep(time.Millisecond) // ~20 events at full rate: the window is 16k
		}
		if err := publish(ctx, pub, ev); err != nil {
			return err
		}
		evs[i] = nil // let it go once published
	}
	return nil
}

// publish hands ev to the publisher, waiting while its queue is full
// (which Window should prevent).
func publish(ctx context.Context, pub *harborai.Publisher, ev *event.Event) error {
	for {
		err := pub.Publish(ev)
		if !errors.Is(err, harborai.ErrDropped) {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		time.Sleep(time.Millisecond)
	}
}

// Sample is one paced call: when its response event was published, and
// how long each Publish took on the caller's goroutine.
type Sample struct {
	Index     int
	Published time.Time
	Request   time.Duration
	Response  time.Duration
}

// Pace publishes calls of gen from index from at rate calls per second for
// d, as an application does: each call's request event then its response
// event, started now. It calls record for each call, on the publishing
// goroutine, and returns the index after the last call.
func Pace(ctx context.Context, pub *harborai.Publisher, gen Gen, from int, rate float64, d time.Duration, record func(Sample)) (int, error) {
	if rate <= 0 {
		return from, fmt.Errorf("pace: rate %v: must be positive", rate)
	}
	start := time.Now()
	next := from
	for {
		elapsed := time.Since(start)
		if elapsed >= d {
			return next, nil
		}
		due := from + int(elapsed.Seconds()*rate) + 1
		for ; next < due; next++ {
			req, resp := gen.Call(next, time.Now())
			t0 := time.Now()
			errReq := pub.Publish(req)
			t1 := time.Now()
			errResp := pub.Publish(resp)
			t2 := time.Now()
			if err := errors.Join(errReq, errResp); err != nil {
				return next, fmt.Errorf("publish call %d: %w", next, err)
			}
			record(Sample{Index: next, Published: t2, Request: t1.Sub(t0), Response: t2.Sub(t1)})
		}
		if err := ctx.Err(); err != nil {
			return next, err
		}
		// Sleep until the next call is due (the timer's granularity makes
		// the calls come in small bursts at high rates).
		wait := time.Duration(float64(next-from)/rate*float64(time.Second)) - time.Since(start)
		if wait > 0 {
			time.Sleep(wait)
		}
	}
}

// WaitPublished waits until the publisher has no event waiting (each
// acknowledged by JetStream, or dropped and counted) or ctx ends.
func WaitPublished(ctx context.Context, pub *harborai.Publisher) error {
	for {
		s := pub.Stats()
		if s.Buffered == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for acks: %w (stats %+v)", ctx.Err(), s)
		case <-time.After(time.Millisecond):
		}
	}
}
