package ingestor_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
)

// TestScheduledRetention: every HARBORAI_PRUNE_INTERVAL the ingestor clears
// the bodies older than HARBORAI_RETAIN_BODIES in PostgreSQL and removes
// the spool segments the replayer loaded (spool/done/) once as old, since
// they hold the same bodies; newer calls and segments stay.
func TestScheduledRetention(t *testing.T) {
	cfg := ingestor.DefaultConfig()
	cfg.PostgresURL = pgtest.Start(t).NewDB(t)
	cfg.DataDir = t.TempDir()
	cfg.PruneInterval = 200 * time.Millisecond

	w, err := pg.NewWriter(t.Context(), pg.Config{URL: cfg.PostgresURL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Close() }()
	if _, err := pg.Migrate(t.Context(), w.Pool()); err != nil {
		t.Fatal(err)
	}
	body := `{"model":"gpt-4o-mini"}`
	call := func(id string, age time.Duration) record.Call {
		return record.Call{CallID: id, Provider: "openai", Model: "gpt-4o-mini", StartedAt: time.Now().Add(-age).UTC(),
			RequestEventID: "req-" + id, RequestBody: &body}
	}
	if err := w.Write(t.Context(), []record.Call{call("old", 40*24*time.Hour), call("new", time.Hour)}); err != nil {
		t.Fatal(err)
	}
	segs := testutil.LoadedSegments(t, ingestor.SpoolDir(cfg.DataDir), 40*24*time.Hour, 2*24*time.Hour)
	oldSeg, newSeg := segs[0], segs[1]
	exists := testutil.Exists

	startIngestor(t, cfg, nil)
	waitFor(t, 15*time.Second, "the old body cleared and the old loaded segment removed", func() (bool, string) {
		var withBody []string
		rows, err := w.Pool().Query(t.Context(), `SELECT call_id FROM calls WHERE request_body IS NOT NULL ORDER BY call_id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			withBody = append(withBody, id)
		}
		rows.Close()
		ok := len(withBody) == 1 && withBody[0] == "new" && !exists(oldSeg)
		return ok, fmt.Sprintf("calls with a body %v, old segment there %v", withBody, exists(oldSeg))
	})
	if !exists(newSeg) {
		t.Error("the loaded segment of 2 days ago was removed; want it kept (30 days)")
	}
}
