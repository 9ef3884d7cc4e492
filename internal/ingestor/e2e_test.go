package ingestor_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/natstest"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// The OpenTelemetry SDK's global state and net/http keep-alives are
		// not ours to stop.
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

func openAIBody(i int) (string, int64, int64) {
	p, c := int64(100+i%500), int64(20+i%300)
	return fmt.Sprintf(`{"id":"chatcmpl-%d","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}`, i, p, c, p+c), p, c
}

// TestEndToEndManyCalls publishes thousands of calls from many goroutines
// through the client package, every event twice (once through the client,
// once again without a de-duplication id so the store's idempotence is what
// absorbs it), half of the responses before their requests, and checks that
// every call is stored exactly once with its exact tokens.
func TestEndToEndManyCalls(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	t.Run("spool", func(t *testing.T) { endToEndManyCalls(t, n, "") })
	t.Run("postgres", func(t *testing.T) {
		endToEndManyCalls(t, n, pgtest.Start(t).NewDB(t))
	})
}

func endToEndManyCalls(t *testing.T, n int, pgURL string) {
	cfg := ingestor.DefaultConfig()
	cfg.PostgresURL = pgURL
	r := startIngestor(t, cfg, nil)
	pub, err := harborai.Connect(r.NATSURL, harborai.WithQueueSize(4*n))
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	raw, err := nats.Connect(r.NATSURL)
	if err != nil {
		t.Fatalf("nats.Connect() = %v", err)
	}
	defer raw.Close()

	type want struct{ prompt, completion int64 }
	wants := make(map[string]want, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	const workers = 30
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				body, p, c := openAIBody(i)
				call := pub.NewCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"})
				mu.Lock()
				wants[call.ID()] = want{p, c}
				mu.Unlock()
				req := event.Request{Method: "POST", Body: `{"model":"gpt-4o-mini"}`}
				resp := event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: body}
				if i%2 == 0 {
					mustNil(t, call.Response(resp))
					mustNil(t, call.Request(req))
				} else {
					mustNil(t, call.Request(req))
					mustNil(t, call.Response(resp))
				}
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pub.Close(ctx); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if st := pub.Stats(); st.Published != int64(2*n) || st.Dropped != 0 {
		t.Fatalf("Stats() = %+v, want %d published, 0 dropped", st, 2*n)
	}

	// Every event again, as a misbehaving publisher would, without Nats-Msg-Id.
	for _, c := range r.calls(t) {
		_ = c // wait until at least the first events are stored: not needed for correctness
		break
	}
	republished := republishAll(t, r, raw)

	waitFor(t, 60*time.Second, "every call stored and complete", func() (bool, string) {
		calls := r.calls(t)
		complete := 0
		for i := range calls {
			if calls[i].HasRequest() && calls[i].HasResponse() {
				complete++
			}
		}
		return complete == n, fmt.Sprintf("%d calls, %d complete", len(calls), complete)
	})
	// Let the republished copies be consumed too, then check nothing doubled.
	waitFor(t, 60*time.Second, "republished events consumed", func() (bool, string) {
		got := counter(r.scrape(t), "harborai_events_received_total", "", "")
		return got >= float64(2*n+republished), fmt.Sprintf("%v events received", got)
	})
	calls := r.calls(t)
	if len(calls) != n {
		t.Fatalf("stored %d calls, want %d", len(calls), n)
	}
	seen := map[string]bool{}
	for _, c := range calls {
		if seen[c.CallID] {
			t.Fatalf("call %s stored twice", c.CallID)
		}
		seen[c.CallID] = true
		w, ok := wants[c.CallID]
		if !ok {
			t.Fatalf("stored call %s was never published", c.CallID)
		}
		if c.Status != event.StatusSuccess || c.Usage == nil || *c.Usage.PromptTokens != w.prompt || *c.Usage.CompletionTokens != w.completion || *c.Usage.TotalTokens != w.prompt+w.completion {
			t.Fatalf("call %s: status %q usage %+v, want success %d/%d", c.CallID, c.Status, c.Usage, w.prompt, w.completion)
		}
		if c.Cost == nil || c.Cost.TotalCost == nil || !c.Cost.TotalCost.Equal(c.Cost.InputCost.Add(*c.Cost.OutputCost)) {
			t.Fatalf("call %s: cost %+v, want total = input + output", c.CallID, c.Cost)
		}
		if !event.ValidHBTraceID(c.HBTraceID) || !event.ValidTraceID(c.TraceID) {
			t.Fatalf("call %s: ids %q %q", c.CallID, c.HBTraceID, c.TraceID)
		}
	}
	if pgURL != "" {
		// Requests went straight into calls, responses and repeats were
		// merged: both of the writer's paths were taken.
		m := r.scrape(t)
		inserted := counter(m, "harborai_postgres_calls_written_total", "path", "inserted")
		merged := counter(m, "harborai_postgres_calls_written_total", "path", "merged")
		if inserted == 0 || merged == 0 || inserted > float64(n) {
			t.Fatalf("calls written: %v inserted, %v merged; want both paths taken, at most %d inserted", inserted, merged, n)
		}
	}
}

// republishAll publishes every stored event's JSON again through plain
// NATS (no Nats-Msg-Id), rebuilt from the calls' ids.
func republishAll(t *testing.T, r *running, nc *nats.Conn) int {
	t.Helper()
	count := 0
	waitFor(t, 60*time.Second, "calls to republish", func() (bool, string) {
		return len(r.calls(t)) > 0, "none yet"
	})
	for _, c := range r.calls(t) {
		if !c.HasResponse() {
			continue
		}
		ev := event.Event{SchemaVersion: 1, Kind: event.KindResponse, EventID: c.ResponseEventID, CallID: c.CallID,
			HBTraceID: c.HBTraceID, TraceID: c.TraceID, SpanID: c.SpanID, Provider: c.Provider, Model: c.Model,
			StartedAt: c.StartedAt, Tags: c.Tags,
			Response: &event.Response{Status: c.Status, HTTPStatus: *c.HTTPStatus, FinishedAt: *c.FinishedAt, Body: *c.ResponseBody}}
		b, err := event.Encode(&ev)
		if err != nil {
			t.Fatal(err)
		}
		if err := nc.Publish(event.Subject(event.KindResponse), b); err != nil {
			t.Fatal(err)
		}
		count++
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return count
}

// TestMalformedEventsAreQuarantined sends invalid JSON, an unknown schema
// version, an invalid field and oversize events: each is rejected with a
// counted reason and kept in quarantine, and a good call after them is stored.
// One oversize event is larger than what the consumer buffers for small
// batches, though the broker (8 MiB) takes it: it must not stall the consumer.
func TestMalformedEventsAreQuarantined(t *testing.T) {
	cfg := ingestor.DefaultConfig()
	cfg.MaxEventBytes = 64 << 10
	cfg.BatchSize = 100
	r := startIngestor(t, cfg, nil)
	nc := r.conn(t)
	good := func(id string, body string) []byte { return callEvent(t, id, body) }
	okBody, _, _ := openAIBody(7)
	cases := []struct {
		name   string
		data   []byte
		reason string
	}{
		{"invalid JSON", []byte(`{"schema_version":1, "kind":`), event.ReasonInvalidJSON},
		{"unknown schema", []byte(`{"schema_version":99,"kind":"call"}`), event.ReasonUnknownSchema},
		{"missing call id", []byte(`{"schema_version":1,"kind":"request","event_id":"e1","provider":"openai","started_at":"2026-01-01T00:00:00Z","request":{}}`), event.ReasonInvalidField},
		{"oversize", good("big", strings.Repeat("x", 100<<10)), event.ReasonOversize},
		{"oversize, larger than a small batch", good("bigger", strings.Repeat("x", 3<<20)), event.ReasonOversize},
	}
	for _, tc := range cases {
		if err := nc.Publish(event.Subject(event.KindCall), tc.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Publish(event.Subject(event.KindCall), good("after-the-bad-ones", okBody)); err != nil {
		t.Fatal(err)
	}
	_ = nc.Flush()
	waitFor(t, 30*time.Second, "the good call stored", func() (bool, string) {
		calls := r.calls(t)
		return len(calls) == 1 && calls[0].CallID == "after-the-bad-ones", fmt.Sprintf("%d calls", len(calls))
	})
	fams := r.scrape(t)
	for _, tc := range cases {
		if got := counter(fams, "harborai_events_rejected_total", "reason", tc.reason); got < 1 {
			t.Errorf("%s: harborai_events_rejected_total{reason=%q} = %v, want >= 1", tc.name, tc.reason, got)
		}
	}
	if n := r.quarantined(t); n != len(cases) {
		t.Errorf("quarantine holds %d lines, want %d", n, len(cases))
	}
}

// TestCallsPostgresRejectsAreQuarantined: a call PostgreSQL refuses as data
// (here a model name too long for its index) is quarantined with a counted
// reason; the calls batched with it are stored, and the metrics of stored
// calls and tokens count only those.
func TestCallsPostgresRejectsAreQuarantined(t *testing.T) {
	cfg := ingestor.DefaultConfig()
	cfg.PostgresURL = pgtest.Start(t).NewDB(t)
	r := startIngestor(t, cfg, nil)
	wantPrompt, wantCompletion := publishWithPoison(t, r)
	waitFor(t, 30*time.Second, "5 calls stored and the rejected one quarantined", func() (bool, string) {
		n, q := len(r.calls(t)), r.quarantined(t)
		return n == 5 && q == 1, fmt.Sprintf("%d calls stored, %d quarantined", n, q)
	})
	for _, c := range r.calls(t) {
		if c.CallID == "call-3" {
			t.Fatalf("the rejected call is stored: %+v", c)
		}
	}
	checkStoredMetrics(t, storedMetrics(t, r), wantPrompt, wantCompletion)
}

// TestRejectedCallWaitsForItsQuarantine: while the quarantine cannot be
// written (here its directory's name is taken by a file), a call PostgreSQL
// rejects stays in JetStream rather than being lost, PostgreSQL still
// shows healthy (it answered), and the calls batched with it are stored.
// Once the quarantine can be written, the call is quarantined and every
// metric counts once, however many times the batch was retried.
func TestRejectedCallWaitsForItsQuarantine(t *testing.T) {
	cfg := ingestor.DefaultConfig()
	cfg.PostgresURL = pgtest.Start(t).NewDB(t)
	cfg.DataDir = t.TempDir()
	blocker := filepath.Join(cfg.DataDir, "quarantine")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := startIngestor(t, cfg, nil)
	wantPrompt, wantCompletion := publishWithPoison(t, r)
	waitFor(t, 30*time.Second, "the 5 good calls stored and the batch retried", func() (bool, string) {
		n := len(r.calls(t))
		retries := counter(r.scrape(t), "harborai_sink_write_errors_total", "", "")
		return n == 5 && retries >= 2, fmt.Sprintf("%d calls stored, %v failed writes", n, retries)
	})
	fams := r.scrape(t)
	if h, s := counter(fams, "harborai_postgres_health_status", "", ""), counter(fams, "harborai_fallback_logger_state", "", ""); h != 1 || s != 0 {
		t.Errorf("health %v, state %v while only the quarantine fails; want 1 and 0 (PostgreSQL answered)", h, s)
	}
	if got := counter(fams, "harborai_events_rejected_total", "reason", "poison_record"); got != 0 {
		t.Errorf(`harborai_events_rejected_total{reason="poison_record"} = %v before the call could be quarantined, want 0`, got)
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the rejected call quarantined once the disk allows", func() (bool, string) {
		q := r.quarantined(t)
		return q == 1, fmt.Sprintf("%d quarantined", q)
	})
	waitFor(t, 15*time.Second, "the batch acknowledged", func() (bool, string) {
		n := counter(r.scrape(t), "harborai_calls_total", "", "")
		return n == 5, fmt.Sprintf("harborai_calls_total = %v", n)
	})
	checkStoredMetrics(t, storedMetrics(t, r), wantPrompt, wantCompletion)
	if n := len(r.calls(t)); n != 5 {
		t.Errorf("%d calls stored, want 5", n)
	}
}

// publishWithPoison publishes six call events, the fourth with a model
// name PostgreSQL rejects as data (too long for its index), and returns
// the prompt and completion tokens of the five others.
func publishWithPoison(t *testing.T, r *running) (wantPrompt, wantCompletion int64) {
	t.Helper()
	nc := r.conn(t)
	// Random letters: the index entry cannot be compressed under its limit.
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	long := make([]byte, 6000)
	for i := range long {
		long[i] = alphabet[rand.IntN(len(alphabet))]
	}
	for i := range 6 {
		body, prompt, completion := openAIBody(i)
		ev := event.Event{SchemaVersion: 1, Kind: event.KindCall, EventID: fmt.Sprintf("e-%d", i), CallID: fmt.Sprintf("call-%d", i),
			Provider: "openai", Model: "gpt-4o-mini", StartedAt: time.Now().UTC(), Request: &event.Request{Body: "{}"},
			Response: &event.Response{Status: "success", HTTPStatus: 200, FinishedAt: time.Now().UTC(), Body: body}}
		if i == 3 {
			ev.Model = string(long)
		} else {
			wantPrompt += prompt
			wantCompletion += completion
		}
		data, err := event.Encode(&ev)
		if err != nil {
			t.Fatal(err)
		}
		if err := nc.Publish(event.Subject(event.KindCall), data); err != nil {
			t.Fatal(err)
		}
	}
	_ = nc.Flush()
	return wantPrompt, wantCompletion
}

// checkStoredMetrics checks the metrics of stored calls count the five
// stored calls of publishWithPoison once, and its rejected call once.
// storedMetrics scrapes r once its counters have caught up with the 5 calls
// stored and the 1 quarantined: the ingestor counts a batch after its rows
// are visible, so a scrape right after the rows show may come before it
// (seen under load).
func storedMetrics(t *testing.T, r *running) map[string]*dto.MetricFamily {
	t.Helper()
	var fams map[string]*dto.MetricFamily
	waitFor(t, 10*time.Second, "the stored calls and the rejected one counted", func() (bool, string) {
		fams = r.scrape(t)
		calls, rejected := counter(fams, "harborai_calls_total", "", ""), counter(fams, "harborai_events_rejected_total", "reason", "poison_record")
		return calls >= 5 && rejected >= 1, fmt.Sprintf("%v calls, %v rejected", calls, rejected)
	})
	return fams
}

func checkStoredMetrics(t *testing.T, fams map[string]*dto.MetricFamily, wantPrompt, wantCompletion int64) {
	t.Helper()
	if got := counter(fams, "harborai_events_rejected_total", "reason", "poison_record"); got != 1 {
		t.Errorf(`harborai_events_rejected_total{reason="poison_record"} = %v, want 1`, got)
	}
	if got := counter(fams, "harborai_calls_total", "", ""); got != 5 {
		t.Errorf("harborai_calls_total = %v, want the 5 calls stored", got)
	}
	for typ, want := range map[string]int64{"prompt": wantPrompt, "completion": wantCompletion} {
		if got := counter(fams, "harborai_tokens_total", "type", typ); got != float64(want) {
			t.Errorf("harborai_tokens_total{type=%q} = %v, want %d (the stored calls' tokens)", typ, got, want)
		}
	}
}

// TestPostgresHealthWithoutTraffic: with no call to write, the health and
// state gauges still follow PostgreSQL going away and coming back.
func TestPostgresHealthWithoutTraffic(t *testing.T) {
	pgc := pgtest.Dedicated(t)
	cfg := ingestor.DefaultConfig()
	cfg.PostgresURL = pgc.NewDB(t)
	r := startIngestor(t, cfg, nil)
	gauges := func(health, state float64) func() (bool, string) {
		return func() (bool, string) {
			fams := r.scrape(t)
			h, s := counter(fams, "harborai_postgres_health_status", "", ""), counter(fams, "harborai_fallback_logger_state", "", "")
			return h == health && s == state, fmt.Sprintf("health %v, state %v", h, s)
		}
	}
	waitFor(t, 15*time.Second, "healthy", gauges(1, 0))
	if err := pgc.Stop("fast"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "unhealthy once PostgreSQL stopped", gauges(0, 3))
	if err := pgc.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "healthy again once PostgreSQL is back", gauges(1, 0))
}

// TestHealthWhileCallsLocked: while another session holds a lock on the
// calls table, every batch write fails (lock timeout) though the server
// answers and the health probe's own row is writable: the health gauge
// stays 0 until the lock is released and the batch written, and every call
// is then stored once.
func TestHealthWhileCallsLocked(t *testing.T) {
	pgc := pgtest.Dedicated(t)
	cfg := ingestor.DefaultConfig()
	cfg.PostgresURL = pgc.NewDB(t)
	r := startIngestor(t, cfg, nil)
	health := func() float64 { return counter(r.scrape(t), "harborai_postgres_health_status", "", "") }
	waitFor(t, 15*time.Second, "healthy", func() (bool, string) { return health() == 1, "not yet" })

	ctx := t.Context()
	holder, err := pgx.Connect(ctx, cfg.PostgresURL)
	mustNil(t, err)
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	mustNil(t, err)
	_, err = tx.Exec(ctx, "LOCK TABLE calls IN ACCESS EXCLUSIVE MODE")
	mustNil(t, err)
	const n = 200
	publishCalls(t, r.NATSURL, n)
	waitFor(t, 30*time.Second, "a failed write", func() (bool, string) {
		e := counter(r.scrape(t), "harborai_sink_write_errors_total", "sink", "postgres")
		return e > 0 && health() == 0, fmt.Sprintf("%v failed writes, health %v", e, health())
	})
	// Probes run every 2 s while no write is tried; the retries' backoff
	// grows to 5 s.
	for end := time.Now().Add(8 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if h := health(); h != 0 {
			t.Fatalf("health %v while the calls table is locked and every write fails", h)
		}
	}
	mustNil(t, tx.Rollback(ctx))
	waitFor(t, 30*time.Second, "every call stored once the lock is released", func() (bool, string) {
		c := len(r.calls(t))
		return c == n && health() == 1, fmt.Sprintf("%d calls, health %v", c, health())
	})
}

// TestBacklogConsumedAfterRestart: with an external NATS server, events
// published while the ingestor is down wait in JetStream and are all stored
// once it runs again.
func TestBacklogConsumedAfterRestart(t *testing.T) {
	srv := natstest.Start(t)
	cfg := ingestor.DefaultConfig()
	cfg.NATSURL = srv.ClientURL()
	cfg.DataDir = t.TempDir()
	first := startIngestor(t, cfg, nil) // creates the stream and the durable consumer
	if err := first.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	const n = 500
	publishCalls(t, srv.ClientURL(), n)
	if got := len(first.calls(t)); got != 0 {
		t.Fatalf("%d calls stored while no ingestor ran, want 0", got)
	}

	second := startIngestor(t, cfg, nil)
	waitFor(t, 30*time.Second, "the backlog stored", func() (bool, string) {
		c := len(second.calls(t))
		return c == n, fmt.Sprintf("%d calls", c)
	})
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("unexpected error: %v", err)
	}
}
