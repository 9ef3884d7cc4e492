package harborai

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lastPiece gives s in pieces of n bytes, and sets last as it gives the
// piece that completes the read-ahead (at bytes).
type lastPiece struct {
	mu     sync.Mutex
	s      string
	n      int
	at     int
	given  int
	last   atomic.Bool
	closed bool
}

func (r *lastPiece) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, errReadClosed
	}
	if r.s == "" {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.s)
	r.s = r.s[k:]
	r.given += k
	if r.given >= r.at {
		r.last.Store(true)
	}
	return k, nil
}

func (r *lastPiece) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	return nil
}

// TestReadAheadCloseRaceEndsTheCall: an error body of unknown length
// longer than the read-ahead (so handed over to the application), closed
// by the application unread just as the read-ahead ends. Every call must
// publish its response event (within closeGrace and some), whatever the
// timing of Close.
func TestReadAheadCloseRaceEndsTheCall(t *testing.T) {
	const limit = 16
	var lost, beforeDone, afterDone int
	const rounds = 20000
	for range rounds {
		p := queuePublisher()
		rc := &lastPiece{s: strings.Repeat("x", 64), n: limit + 1, at: limit + 1}
		resp := &http.Response{StatusCode: http.StatusInternalServerError, ContentLength: -1, Body: rc}
		resp = wrap(p, resp, limit, nil)
		rb := resp.Body.(*readBack)
		for !rc.last.Load() {
		}
		// Close as soon as the read-ahead has the bytes it reads: the
		// application sees them, its Close comes as the reading ends.
		for {
			if rb.mu.TryLock() {
				n := len(rb.data)
				rb.mu.Unlock()
				if n == limit+1 {
					break
				}
			}
		}
		_ = resp.Body.Close()
		rb.mu.Lock()
		timer := rb.grace != nil
		rb.mu.Unlock()
		if timer {
			beforeDone++
		} else {
			afterDone++
		}
		deadline := time.Now().Add(closeGrace + 300*time.Millisecond)
		for len(p.queue) == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if len(p.queue) == 0 {
			time.Sleep(time.Second) // for good
			rb.mu.Lock()
			state := fmt.Sprintf("readBack done=%v handOver=%v closed=%v", rb.done, rb.handOver, rb.closed)
			rb.mu.Unlock()
			rb.b.mu.Lock()
			state += fmt.Sprintf(", body ended=%v", rb.b.done)
			rb.b.mu.Unlock()
			rc.mu.Lock()
			state += fmt.Sprintf(", vendor body closed=%v", rc.closed)
			rc.mu.Unlock()
			t.Errorf("Close as the read-ahead handed a 500's body over: no response event %v after Close (%s); want one, as when Close comes earlier or later", closeGrace+1300*time.Millisecond, state)
			lost++
			break
		}
	}
	t.Logf("rounds: Close before the read-ahead's end %d, after %d, call lost %d", beforeDone, afterDone, lost)
}
