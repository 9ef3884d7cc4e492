package harborai_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/harborai/ingest/internal/broker"
	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/natstest"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
	"github.com/harborai/ingest/pkg/spool"
)

// TestPublishNeverBlocks: with nothing draining the queue (the broker is a
// closed port), Publish returns at once, queue-full events are counted as
// dropped, and after Close every attempt is accounted for.
func TestPublishNeverBlocks(t *testing.T) {
	checkLeaks(t)
	url := "nats://" + testutil.HangUpAddr(t) // the broker is down
	pub, err := harborai.Connect(url, harborai.WithQueueSize(100))
	if err != nil {
		t.Fatalf("Connect() = %v, want nil even with the broker down", err)
	}
	const n = 5000
	var dropped int
	start := time.Now()
	for i := range n {
		call := pub.NewCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"})
		err := call.Request(event.Request{Body: "{}"})
		switch {
		case errors.Is(err, harborai.ErrDropped):
			dropped++
		case err != nil:
			t.Fatalf("Request #%d = %v", i, err)
		}
	}
	elapsed := time.Since(start)
	if dropped < n-200 {
		t.Errorf("%d of %d events dropped with a 100-event queue and no broker, want nearly all", dropped, n)
	}
	if elapsed > 5*time.Second { // generous: a blocking Publish would take n * seconds
		t.Errorf("%d publishes took %s with the broker down", n, elapsed)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := pub.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close() = %v, want the deadline: the queued events could not be sent", err)
	}
	st := pub.Stats()
	if st.Attempted != n || st.Published+st.Dropped+st.Spooled+st.Buffered != st.Attempted {
		t.Errorf("Stats() = %+v: published + dropped + spooled + buffered != attempted", st)
	}
	if err := pub.Publish(&event.Event{}); !errors.Is(err, harborai.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if err := pub.Close(context.Background()); err != nil {
		t.Errorf("second Close() = %v, want nil (idempotent)", err)
	}
}

// TestOversizeRequestBodyIsOmitted: an event above the server's max payload
// is published without its request body (marked too_large) rather than
// stalling the publisher; the call is stored with its usage.
func TestOversizeRequestBodyIsOmitted(t *testing.T) {
	in := testutil.StartIngestor(t, ingestor.DefaultConfig(), nil)
	evs := testutil.CallEvents(2)
	for _, ev := range evs {
		if ev.Request != nil && ev.CallID == "call-000000" {
			ev.Request.Body = `{"messages":"` + strings.Repeat("长", 3<<20) + `"}` // 9 MiB of UTF-8
		}
	}
	testutil.Publish(t, in.NATSURL, evs)
	calls := testutil.WaitComplete(t, in.Store(t), 2)
	for _, c := range calls {
		if c.CallID != "call-000000" {
			continue
		}
		if c.RequestBody != nil {
			t.Errorf("stored request body of %d bytes, want it omitted", len(*c.RequestBody))
		}
		if c.Usage == nil || c.Usage.PromptTokens == nil || *c.Usage.PromptTokens != 100 {
			t.Errorf("usage = %+v, want the response's 100 prompt tokens", c.Usage)
		}
	}
}

// TestPublisherTakesEvents: events leave the queue without waiting for
// Close however the background publisher is woken: by its flush interval,
// by every Publish (WithFlushInterval(0)), or by a queue a quarter full
// (an interval too long to wait for).
func TestPublisherTakesEvents(t *testing.T) {
	srv := startBroker(t)
	tests := []struct {
		name   string
		opts   []harborai.Option
		events int // published together
		// waiting is how many events may legitimately wait for the flush
		// interval: with a queue of 8, one queued event does not wake the
		// publisher (two do), and the publisher may take an event while its
		// Publish is still counting it, so one can be left until the next
		// wake-up.
		waiting int64
	}{
		{"flush interval", nil, 1, 0},
		{"every publish", []harborai.Option{harborai.WithFlushInterval(0)}, 1, 0},
		{"quarter full", []harborai.Option{harborai.WithFlushInterval(time.Hour), harborai.WithQueueSize(8)}, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			pub := connect(t, srv.ClientURL(), tt.opts...)
			for round := 1; round <= 3; round++ {
				for range tt.events {
					call := pub.NewCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"})
					if err := call.Request(event.Request{Body: "{}"}); err != nil {
						t.Fatalf("Request() = %v", err)
					}
				}
				want := int64(round * tt.events)
				waitFor(t, 10*time.Second, fmt.Sprintf("%d events published", want), func() (bool, string) {
					st := pub.Stats()
					return st.Published >= want-tt.waiting && st.Published <= want, fmt.Sprintf("%+v", st)
				})
			}
		})
	}
}

// TestPublisherBatches: events queued together leave as batch messages (one
// encoded event per line, the count in the header, under the size bound),
// every event exactly once; WithBatch(1) sends one message per event; large
// events make smaller batches, never a message above 1 MiB.
func TestPublisherBatches(t *testing.T) {
	srv := startBroker(t)
	tests := []struct {
		name string
		opts []harborai.Option
		most int // the most events one message may hold
		body int // request body bytes
		n    int
	}{
		{"default", nil, harborai.DefaultBatch, 20, 3000},
		{"batch of 7", []harborai.Option{harborai.WithBatch(7)}, 7, 20, 3000},
		{"one per message", []harborai.Option{harborai.WithBatch(1)}, 1, 20, 3000},
		{"large events", nil, 3, 300 << 10, 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			nc := srv.Conn(t)
			var mu sync.Mutex
			var messages, largest int
			seen := map[string]int{}
			sub, err := nc.Subscribe(event.SubjectWildcard, func(m *nats.Msg) {
				mu.Lock()
				defer mu.Unlock()
				messages++
				if len(m.Data)+len(m.Header) > 1<<20 {
					t.Errorf("message of %d bytes, want at most 1 MiB", len(m.Data))
				}
				lines, err := event.MessageEvents(m.Header, m.Data)
				if err != nil {
					t.Errorf("message on %s: %v", m.Subject, err)
				}
				if _, ok := m.Header[event.HeaderBatchCount]; ok {
					if want := event.BatchCount(m.Header[event.HeaderBatchCount]); len(lines) != want || m.Subject != event.SubjectBatch {
						t.Errorf("batch message on %s holds %d events, header says %d", m.Subject, len(lines), want)
					}
				}
				largest = max(largest, len(lines))
				for _, l := range lines {
					ev, err := event.Decode(l, 0)
					if err != nil {
						t.Errorf("event.Decode() = %v", err)
						continue
					}
					seen[ev.EventID]++
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = sub.Unsubscribe() }()
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}

			n := tt.n
			pub, err := harborai.Connect(srv.ClientURL(), tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			body := `{"model":"gpt-4o-mini","x":"` + strings.Repeat("x", tt.body) + `"}`
			for range n {
				call := pub.NewCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"})
				if err := call.Request(event.Request{Body: body}); err != nil {
					t.Fatalf("Request() = %v", err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := pub.Close(ctx); err != nil {
				t.Fatalf("Close() = %v", err)
			}
			if st := pub.Stats(); st.Published != int64(n) {
				t.Fatalf("Stats() = %+v, want all %d published", st, n)
			}
			waitFor(t, 10*time.Second, "every event seen", func() (bool, string) {
				mu.Lock()
				defer mu.Unlock()
				return len(seen) == n, fmt.Sprintf("%d distinct events in %d messages", len(seen), messages)
			})
			mu.Lock()
			defer mu.Unlock()
			for id, k := range seen {
				if k != 1 {
					t.Errorf("event %s seen %d times", id, k)
				}
			}
			if largest > tt.most {
				t.Errorf("a message held %d events, want at most %d", largest, tt.most)
			}
			switch {
			case tt.most == 1 && messages != n:
				t.Errorf("%d messages for %d events, want one each", messages, n)
			case tt.most > 1 && messages > n/2:
				t.Errorf("%d messages for %d events published in a burst: not batched", messages, n)
			}
		})
	}
}

// TestRedactBodies: the redaction hook rewrites both bodies of every event
// before it leaves the process, published or spooled; what it leaves (the
// usage) is published as it was.
func TestRedactBodies(t *testing.T) {
	const card = "4111-1111-1111-1111"
	redact := harborai.WithRedactBodies(func(ev *event.Event, part harborai.BodyPart, body string) string {
		if ev.Provider != "openai" {
			t.Errorf("hook got provider %q", ev.Provider)
		}
		return strings.ReplaceAll(body, card, "[card:"+string(part)+"]")
	})
	logCall := func(pub *harborai.Publisher) {
		t.Helper()
		err := pub.LogCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"},
			event.Request{Body: `{"messages":[{"role":"user","content":"my card is ` + card + `"}]}`},
			event.Response{Status: event.StatusSuccess, HTTPStatus: 200,
				Body: `{"choices":[{"message":{"content":"noted: ` + card + `"}}],"usage":{"prompt_tokens":9,"completion_tokens":3}}`})
		if err != nil && !errors.Is(err, harborai.ErrDropped) {
			t.Fatalf("LogCall() = %v", err)
		}
	}

	t.Run("published", func(t *testing.T) {
		srv := startBroker(t)
		seen := subscribe(t, srv.ClientURL())
		pub := connect(t, srv.ClientURL(), redact)
		logCall(pub)
		waitFor(t, 10*time.Second, "the event published", func() (bool, string) { return len(seen()) == 1, "" })
		ev, err := event.Decode(seen()[0], 0)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(ev.Request.Body, card) || !strings.Contains(ev.Request.Body, "[card:request]") {
			t.Errorf("published request body %s", ev.Request.Body)
		}
		if strings.Contains(ev.Response.Body, card) || !strings.Contains(ev.Response.Body, "[card:response]") ||
			!strings.Contains(ev.Response.Body, `"usage":{"prompt_tokens":9,"completion_tokens":3}`) {
			t.Errorf("published response body %s", ev.Response.Body)
		}
	})

	t.Run("spooled", func(t *testing.T) {
		url := "nats://" + testutil.HangUpAddr(t) // the broker is down
		dir := t.TempDir()
		pub, err := harborai.Connect(url, redact, harborai.WithSpool(dir), harborai.WithQueueSize(4))
		if err != nil {
			t.Fatal(err)
		}
		// The queue holds 4 and the background publisher one batch of at
		// most 4 waiting for the broker: the others find the queue full
		// and go to the spool at once.
		const n = 40
		for range n {
			logCall(pub)
			time.Sleep(time.Millisecond) // let the spool keep up
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = pub.Close(ctx) // the queued and held ones are spooled too
		st := pub.Stats()
		if st.Spooled <= 8 || st.Spooled+st.Dropped != n {
			t.Fatalf("Stats() = %+v, want more than 8 of %d spooled, the rest dropped", st, n)
		}
		segs, err := spool.Segments(dir)
		if err != nil {
			t.Fatal(err)
		}
		var records int64
		for _, seg := range segs {
			if _, err := spool.ReadSegment(seg.Path, func(rec spool.Record) error {
				records++
				ev, err := event.Decode(rec.Data, 0)
				switch {
				case err != nil:
					t.Errorf("spooled event: %v", err)
				case strings.Contains(ev.Request.Body+ev.Response.Body, card):
					t.Errorf("the spool holds the card number: %s / %s", ev.Request.Body, ev.Response.Body)
				case !strings.Contains(ev.Response.Body, "[card:response]"):
					t.Errorf("spooled response body %s", ev.Response.Body)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		if records != st.Spooled {
			t.Errorf("spool holds %d events, Stats says %d", records, st.Spooled)
		}
	})
}

// TestStreamMaxMessageSize: a stream whose max message size is below what
// the server takes refuses a batch; the publisher sends it again in halves
// until each part fits, at once (not with the backoff of a broker in
// trouble), and a single event that cannot fit without its body.
func TestStreamMaxMessageSize(t *testing.T) {
	checkLeaks(t)
	srv := natstest.Start(t)
	js, err := jetstream.New(srv.Conn(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg := broker.DefaultStreamConfig()
	cfg.MaxMsgSize = 16 << 10
	if _, err := broker.EnsureStream(context.Background(), js, cfg); err != nil {
		t.Fatal(err)
	}
	seen := subscribe(t, srv.ClientURL())
	pub, err := harborai.Connect(srv.ClientURL(), harborai.WithFlushInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	// Random text, which compression cannot shrink: ~2 KB each, about 8
	// fit in one message.
	const n = 100
	rng := rand.NewChaCha8([32]byte{7})
	for range n {
		call := pub.NewCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"})
		if err := call.Request(event.Request{Body: `{"x":"` + randomText(rng, 2000) + `"}`}); err != nil {
			t.Fatal(err)
		}
	}
	huge := pub.NewCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"})
	if err := huge.Request(event.Request{Body: randomText(rng, 20<<10)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pub.Close(ctx); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	st := pub.Stats()
	if st.Published != n+1 || st.Dropped != 0 || st.Buffered != 0 {
		t.Errorf("Stats() = %+v, want %d published, the 20 KiB event without its body", st, n+1)
	}
	info, err := js.Stream(context.Background(), cfg.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(seen()); got < n {
		t.Errorf("%d events reached the server, want at least %d", got, n)
	}
	if si, err := info.Info(context.Background()); err != nil || si.State.Msgs == 0 {
		t.Errorf("stream state %+v, %v: want the events stored", si, err)
	}
}

// randomText is n bytes of base64 text from rng: what no compressor
// shrinks much.
func randomText(rng *rand.ChaCha8, n int) string {
	raw := make([]byte, n)
	_, _ = rng.Read(raw)
	return base64.StdEncoding.EncodeToString(raw)[:n]
}

// TestWithNATSOptions: options given for the connection Connect makes are
// applied: here a handler told of the connection and the client's name the
// server sees.
func TestWithNATSOptions(t *testing.T) {
	checkLeaks(t)
	srv := startBroker(t)
	connected := make(chan string, 1)
	pub, err := harborai.Connect(srv.ClientURL(), harborai.WithNATSOptions(
		nats.Name("my-app"),
		nats.ConnectHandler(func(nc *nats.Conn) { connected <- nc.Opts.Name }),
	))
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close(context.Background())
	select {
	case name := <-connected:
		if name != "my-app" {
			t.Errorf("connection named %q, want my-app (the option given wins over Connect's)", name)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the ConnectHandler given was not called within 10s")
	}
}
