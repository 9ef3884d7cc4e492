package harborai_test

import (
	"testing"
	"time"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/event"
)

// The real-host vendor matrix, stream and not, plus errors, through
// PostgreSQL.
func TestEveryVendorAtItsRealHostInPostgres(t *testing.T) {
	cfg := ingestor.DefaultConfig()
	cfg.FlushInterval = 20 * time.Millisecond
	cfg.PostgresURL = pgtest.Start(t).NewDB(t)
	in := testutil.StartIngestor(t, cfg, nil)
	p := &pipeline{Ingestor: in, natsURL: in.NATSURL}
	cases := callRealHosts(t, p, "", "rate_limit", "http200")
	stored := storedByCase(t, p, len(cases), 20*time.Second)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls := stored[c.name]
			if len(calls) != 1 {
				t.Fatalf("stored %d calls, want 1", len(calls))
			}
			got := calls[0]
			wantStatus := event.StatusSuccess
			if c.fail != "" {
				wantStatus = event.StatusError
			}
			if got.Provider != providerOf(c.vc.vendor) || got.Model != c.vc.model || got.Stream != c.vc.stream || got.Status != wantStatus {
				t.Errorf("%s", describe(got))
			}
			if c.fail == "" {
				checkUsage(t, c.vc.vendor, got)
			} else if got.Cost != nil && got.Cost.TotalCost != nil && !got.Cost.TotalCost.IsZero() {
				t.Errorf("error call has a cost: %s", describe(got))
			}
		})
	}
}
