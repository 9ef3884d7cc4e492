package harborai_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/event"
)

// Bodies copied as sent (io.Pipe, no GetBody), over HTTP/1.1 and HTTP/2,
// answered after the body (200 JSON, a stream), before it (a 429 read
// ahead while net/http's goroutine still reads the copy), or cut (the pipe
// fails): every call publishes exactly one request and one response event,
// under -race.
func TestTransportRequestBodyCopiedExactlyOnce(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("h2=%v", h2), func(t *testing.T) {
			pub, published := httpPub(t)
			srv := httpServer(t, h2)
			tr, _ := httpTransport(t, pub, srv)
			client := &http.Client{Transport: tr}
			cases := []string{"", "stream", "429", "cut"}
			const n = 40
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					c := cases[i%len(cases)]
					pr, pw := io.Pipe()
					go func() {
						_, _ = io.WriteString(pw, `{"model":"m","stream":true,`)
						time.Sleep(time.Duration(i%3) * time.Millisecond)
						if c == "cut" {
							_ = pw.CloseWithError(errors.New("cut"))
							return
						}
						_, _ = io.WriteString(pw, `"x":1}`)
						_ = pw.Close()
					}()
					hc := c
					if c == "cut" {
						hc = ""
					}
					req := httpReq(t, context.Background(), srv, hc, pr)
					resp, err := client.Do(req)
					if err != nil {
						return // "cut": the call fails
					}
					if i%2 == 0 {
						_, _ = io.ReadAll(resp.Body)
					}
					resp.Body.Close()
				})
			}
			wg.Wait()
			var evs []*event.Event
			waitFor(t, 10*time.Second, "2 events a call", func() (bool, string) {
				evs = decoded(t, published)
				return len(evs) >= 2*n, fmt.Sprint(len(evs))
			})
			time.Sleep(200 * time.Millisecond)
			evs = decoded(t, published)
			byCall := map[string][2]int{}
			for _, ev := range evs {
				c := byCall[ev.CallID]
				if ev.Kind == event.KindRequest {
					c[0]++
				} else {
					c[1]++
				}
				byCall[ev.CallID] = c
			}
			if len(byCall) != n {
				t.Errorf("%d calls, want %d", len(byCall), n)
			}
			for id, c := range byCall {
				if c != [2]int{1, 1} {
					t.Errorf("call %s: %d request and %d response events", id, c[0], c[1])
				}
			}
		})
	}
}
