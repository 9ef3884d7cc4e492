package harborai_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/emulator"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

// A Transport whose calls no one sees on the caller's goroutine (no
// WithOnCall, no spans) leaves their ids, and the model named in the
// request body, to the publisher (deferred.go). These tests check that the
// events come out as they do when the ids are assigned at once.

// TestTransportDeferredIDs makes every emulator call, streamed and not,
// through a Transport with WithOnCall (ids assigned on the caller's
// goroutine) and through one without (ids assigned by the publisher), and
// checks the two publish the same events but for their ids and times, and
// that the events of each call share valid ids.
func TestTransportDeferredIDs(t *testing.T) {
	checkLeaks(t)
	srv := startBroker(t)
	emu := startEmulator(t)
	published := subscribe(t, srv.ClientURL())
	pub := connect(t, srv.ClientURL())
	var ids idsOf
	now := pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, append(emulatorBases(emu), harborai.WithOnCall(ids.hook))...)
	later := pub.HTTPClient(&http.Client{Transport: baseTransport(t)}, emulatorBases(emu)...)

	n := 0
	for _, v := range emulator.Vendors() {
		for _, stream := range []bool{false, true} {
			vc := vendorCall{vendor: v, model: models[v], stream: stream}
			for _, c := range []struct {
				name   string
				client *http.Client
			}{{"now", now}, {"later", later}} {
				req := vc.request(t, context.Background(), emu, fmt.Sprintf("test %s %v", v, stream))
				req.Header.Set("X-Test-Case", fmt.Sprintf("%s/%v/%s", v, stream, c.name))
				resp, err := c.client.Do(req)
				if err != nil {
					t.Fatalf("Do() = %v", err)
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: status %d, read error %v", req.Header.Get("X-Test-Case"), resp.StatusCode, err)
				}
				n++
			}
		}
	}
	calls := waitCallEvents(t, published, n)

	byCase := map[string]callEvents{}
	for _, c := range calls {
		byCase[c.request.Request.Headers["X-Test-Case"]] = c
	}
	for name, c := range byCase {
		base, ok := strings.CutSuffix(name, "/later")
		if !ok {
			continue
		}
		t.Run(base, func(t *testing.T) {
			want, ok := byCase[base+"/now"]
			if !ok {
				t.Fatalf("no events of %s/now", base)
			}
			if got := [4]string{want.request.CallID, want.request.HBTraceID, want.request.TraceID, want.request.SpanID}; got != mustIDs(t, &ids, base+"/now") {
				t.Errorf("ids assigned at once = %v, published %v", mustIDs(t, &ids, base+"/now"), got)
			}
			for _, pair := range [][2]*event.Event{{c.request, want.request}, {c.response, want.response}} {
				got, want := withoutIDs(pair[0]), withoutIDs(pair[1])
				if got != want {
					t.Errorf("%s event with deferred ids =\n%s\nwant, as with ids assigned at once,\n%s", pair[0].Kind, got, want)
				}
			}
		})
	}
}

// TestTransportDeferredIDsConcurrent makes calls from several goroutines
// through a Transport that defers ids, and checks every call got ids of its
// own, shared by its two events.
func TestTransportDeferredIDsConcurrent(t *testing.T) {
	checkLeaks(t)
	srv := startBroker(t)
	published := subscribe(t, srv.ClientURL())
	pub := connect(t, srv.ClientURL())
	client := pub.HTTPClient(&http.Client{Transport: memoryTransport{body: []byte(sampleEvent().Response.Body)}})
	const goroutines, each = 8, 100
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				req, _ := http.NewRequest(http.MethodPost, "https://api.openai.com/v1/chat/completions",
					strings.NewReader(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`))
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("Do() = %v", err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	calls := waitCallEvents(t, published, goroutines*each)
	seen := map[string]bool{}
	for _, c := range calls {
		if c.request.Model != "gpt-4o-mini" || c.response.Model != "gpt-4o-mini" {
			t.Errorf("call %s: models %q, %q, want gpt-4o-mini", c.request.CallID, c.request.Model, c.response.Model)
		}
		for _, id := range []string{c.request.CallID, c.request.HBTraceID, c.request.TraceID, c.request.SpanID} {
			if seen[id] {
				t.Fatalf("id %s given to two calls", id)
			}
			seen[id] = true
		}
	}
}

// callEvents are the request and response events of one call.
type callEvents struct{ request, response *event.Event }

// waitCallEvents polls the published events until n calls have both, and
// checks each is valid and the events of a call share their ids.
func waitCallEvents(t *testing.T, published func() [][]byte, n int) []callEvents {
	t.Helper()
	var calls []callEvents
	waitFor(t, 30*time.Second, fmt.Sprintf("the events of %d calls", n), func() (bool, string) {
		byCall := map[string]*callEvents{}
		for _, m := range published() {
			ev, err := event.Decode(m, 0)
			if err != nil {
				t.Fatalf("event.Decode() = %v", err)
			}
			c := byCall[ev.CallID]
			if c == nil {
				c = new(callEvents)
				byCall[ev.CallID] = c
			}
			switch ev.Kind {
			case event.KindRequest:
				c.request = ev
			case event.KindResponse:
				c.response = ev
			}
		}
		calls = calls[:0]
		for _, c := range byCall {
			if c.request != nil && c.response != nil {
				calls = append(calls, *c)
			}
		}
		return len(calls) >= n, fmt.Sprintf("%d complete calls", len(calls))
	})
	for _, c := range calls {
		req, resp := c.request, c.response
		if got, want := [4]string{resp.CallID, resp.HBTraceID, resp.TraceID, resp.SpanID}, [4]string{req.CallID, req.HBTraceID, req.TraceID, req.SpanID}; got != want {
			t.Errorf("response event ids = %v, want the request event's %v", got, want)
		}
		if err := req.Validate(); err != nil {
			t.Errorf("request event: Validate() = %v", err)
		}
		if !event.ValidHBTraceID(req.HBTraceID) || !event.ValidTraceID(req.TraceID) || !event.ValidSpanID(req.SpanID) || !validUUIDv7(req.CallID) {
			t.Errorf("ids %s, %s, %s, %s: want a UUIDv7, an hb_trace_id, a trace id and a span id", req.CallID, req.HBTraceID, req.TraceID, req.SpanID)
		}
		if ms := req.StartedAt.UnixMilli(); req.HBTraceID[3:16] != fmt.Sprintf("%013d", ms) {
			t.Errorf("hb_trace_id %s, want the start's milliseconds %013d", req.HBTraceID, ms)
		}
	}
	return calls
}

func mustIDs(t *testing.T, ids *idsOf, name string) [4]string {
	t.Helper()
	v, ok := ids.get(name)
	if !ok {
		t.Fatalf("WithOnCall did not see %s", name)
	}
	return v
}

// withoutIDs is ev as text without what differs between two calls: ids,
// times, the test case's name, and the emulator's reply (its own ids and
// times).
func withoutIDs(ev *event.Event) string {
	c := *ev
	c.EventID, c.CallID, c.HBTraceID, c.TraceID, c.SpanID = "", "", "", "", ""
	c.StartedAt = time.Time{}
	if c.Request != nil {
		r := *c.Request
		r.Headers = maps.Clone(r.Headers)
		r.Headers["X-Test-Case"] = strings.TrimSuffix(strings.TrimSuffix(r.Headers["X-Test-Case"], "/now"), "/later")
		c.Request = &r
	}
	if c.Response != nil {
		r := *c.Response
		r.FinishedAt, r.FirstByteAt, r.Body = time.Time{}, nil, ""
		c.Response = &r
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// validUUIDv7 reports whether s is a UUIDv7 in its canonical text form.
func validUUIDv7(s string) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' || s[14] != '7' || !strings.ContainsRune("89ab", rune(s[19])) {
		return false
	}
	for i := range len(s) {
		if c := s[i]; c != '-' && (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
