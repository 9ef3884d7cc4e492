package ingestor_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	dto "github.com/prometheus/client_model/go"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
	"github.com/harborai/ingest/pkg/record"
)

// running is an ingestor started for a test, with shorthands for what the
// tests here look at.
type running struct {
	*testutil.Ingestor
	t *testing.T
}

func startIngestor(t *testing.T, cfg ingestor.Config, lookup func(string) (string, bool)) *running {
	t.Helper()
	return &running{Ingestor: testutil.StartIngestor(t, cfg, lookup), t: t}
}

func (r *running) calls(t *testing.T) []record.Call {
	t.Helper()
	return testutil.Calls(t, r.Store(t))
}

func (r *running) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	return testutil.Scrape(t, r.HTTPAddr)
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	testutil.WaitFor(t, timeout, what, cond)
}

var counter = testutil.Metric

// conn is a NATS connection to the ingestor's server, closed after the test.
func (r *running) conn(t *testing.T) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(r.NATSURL)
	if err != nil {
		t.Fatalf("nats.Connect() = %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// quarantined counts the lines of the ingestor's quarantine files.
func (r *running) quarantined(t *testing.T) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(r.Cfg.DataDir, "quarantine", "*"))
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n += strings.Count(string(b), "\n")
	}
	return n
}

// callEvent is an encoded call event with the given id (event and call)
// and response body.
func callEvent(t *testing.T, id, body string) []byte {
	t.Helper()
	ev := event.Event{SchemaVersion: 1, Kind: event.KindCall, EventID: id, CallID: id, Provider: "openai", Model: "gpt-4o-mini",
		StartedAt: time.Now().UTC(), Request: &event.Request{Body: "{}"},
		Response: &event.Response{Status: "success", FinishedAt: time.Now().UTC(), Body: body}}
	b, err := event.Encode(&ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// publishCalls publishes n call events with the client package, as an app
// would, and closes the publisher once all are acknowledged.
func publishCalls(t *testing.T, url string, n int) {
	t.Helper()
	pub, err := harborai.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		body, _, _ := openAIBody(i)
		mustNil(t, pub.LogCall(context.Background(), harborai.CallInfo{Provider: "openai", Model: "gpt-4o-mini"},
			event.Request{Body: "{}"}, event.Response{Status: event.StatusSuccess, HTTPStatus: 200, Body: body}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := pub.Close(ctx); err != nil {
		t.Fatalf("publisher Close() = %v", err)
	}
	if st := pub.Stats(); st.Published != int64(n) {
		t.Fatalf("publisher Stats().Published = %d, want %d", st.Published, n)
	}
}
