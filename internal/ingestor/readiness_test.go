package ingestor_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/natstest"
)

// TestReadyzFollowsNATS: /readyz answers 503 while the NATS server the
// ingestor consumes from is gone.
func TestReadyzFollowsNATS(t *testing.T) {
	srv := natstest.Start(t)
	cfg := ingestor.DefaultConfig()
	cfg.NATSURL = srv.ClientURL()
	r := startIngestor(t, cfg, nil)
	if code, body := r.get(t, "/readyz"); code != http.StatusOK {
		t.Fatalf("GET /readyz while consuming = %d %q, want 200", code, body)
	}
	srv.Shutdown()
	waitFor(t, 10*time.Second, "/readyz not ready once NATS is gone", func() (bool, string) {
		code, body := r.get(t, "/readyz")
		return code == http.StatusServiceUnavailable, fmt.Sprintf("%d %q", code, body)
	})
}
