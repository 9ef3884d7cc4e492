package ingestor_test

import (
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/testutil"
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
