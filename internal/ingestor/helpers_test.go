package ingestor_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	dto "github.com/prometheus/client_model/go"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/store"
	"github.com/harborai/ingest/pkg/record"
)

// running is an ingestor started by startIngestor.
type running struct {
	cfg      ingestor.Config
	natsURL  string
	httpAddr string
	stop     func() error
}

// startIngestor runs the daemon in the background with cfg (embedded NATS
// on a free port, metrics on a free port, data in a temp dir unless set).
func startIngestor(t *testing.T, cfg ingestor.Config, lookup func(string) (string, bool)) *running {
	t.Helper()
	if cfg.DataDir == "" || cfg.DataDir == ingestor.DefaultConfig().DataDir {
		cfg.DataDir = t.TempDir()
	}
	if cfg.NATSURL == "" {
		cfg.NATSListen = "127.0.0.1:0"
	}
	cfg.MetricsAddr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- ingestor.Run(ctx, cfg, ingestor.Deps{Lookup: lookup, Started: func(n, h string) { started <- [2]string{n, h} }})
	}()
	r := &running{cfg: cfg}
	var once bool
	var runErr error
	r.stop = func() error {
		if !once {
			once = true
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(30 * time.Second):
				runErr = fmt.Errorf("ingestor did not stop within 30s")
			}
		}
		return runErr
	}
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("ingestor.Run() = %v, want nil", err)
		}
	})
	select {
	case a := <-started:
		r.natsURL, r.httpAddr = a[0], a[1]
	case err := <-done:
		t.Fatalf("ingestor.Run() = %v before it started", err)
	case <-time.After(30 * time.Second):
		t.Fatal("ingestor did not start within 30s")
	}
	return r
}

// calls reads the spool the way harborctl does.
func (r *running) calls(t *testing.T) []record.Call {
	t.Helper()
	s := store.NewSpoolStore(ingestor.SpoolDir(r.cfg.DataDir))
	calls, err := s.List(context.Background(), store.Filter{Limit: 1 << 30})
	if err != nil {
		t.Fatalf("List() = %v", err)
	}
	return calls
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last state: %s", timeout, what, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// scrape fetches and parses the ingestor's /metrics.
func (r *running) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + r.httpAddr + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// counter returns the value of the counter name with the given label, or 0.
func counter(fams map[string]*dto.MetricFamily, name, label, value string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	var sum float64
	for _, m := range f.Metric {
		for _, l := range m.Label {
			if label == "" || (l.GetName() == label && l.GetValue() == value) {
				if m.Counter != nil {
					sum += m.Counter.GetValue()
				}
				if m.Gauge != nil {
					sum += m.Gauge.GetValue()
				}
				break
			}
		}
		if label == "" && len(m.Label) == 0 {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}
