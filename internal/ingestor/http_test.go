package ingestor_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/harborai/ingest/internal/ingestor"
)

// get fetches path from the ingestor's HTTP endpoint.
func (r *running) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + r.HTTPAddr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// TestHTTPEndpoints checks what an operator's probes and tools see on the
// metrics address: liveness, readiness once consuming, and Go's profiles
// only when asked for.
func TestHTTPEndpoints(t *testing.T) {
	cfg := ingestor.DefaultConfig()
	r := startIngestor(t, cfg, nil)
	for _, c := range []struct {
		path string
		code int
		body string
	}{
		{"/healthz", http.StatusOK, "ok"},
		{"/readyz", http.StatusOK, "ready"},
		{"/debug/pprof/", http.StatusNotFound, ""},
	} {
		code, body := r.get(t, c.path)
		if code != c.code || !strings.Contains(body, c.body) {
			t.Errorf("GET %s = %d %q, want %d containing %q", c.path, code, body, c.code, c.body)
		}
	}

	cfg.Pprof = true
	r = startIngestor(t, cfg, nil)
	if code, body := r.get(t, "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("GET /debug/pprof/ with Pprof = %d %q, want 200 listing the profiles", code, body)
	}
	// A heap profile is gzip-compressed protobuf (gzip magic 1f 8b).
	if code, body := r.get(t, "/debug/pprof/heap"); code != http.StatusOK || !strings.HasPrefix(body, "\x1f\x8b") {
		t.Errorf("GET /debug/pprof/heap with Pprof = %d, %d bytes, want 200 and a gzip profile", code, len(body))
	}
}
