package ingestor_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/pkg/event"
)

// TestEveryWriterGetsAConnection: with HARBORAI_WRITERS above the pool's
// default size, every writer writes at once. While a session holds a lock
// that makes every write into calls wait, as many writes wait as there are
// writers (the pool used to stop at 4, so extra writers queued for a
// connection within their write deadline); once it is released, every
// call is stored.
func TestEveryWriterGetsAConnection(t *testing.T) {
	const writers = 6
	cfg := ingestor.DefaultConfig()
	cfg.PostgresURL = pgtest.Start(t).NewDB(t)
	cfg.Writers = writers
	cfg.BatchSize = 5
	r := startIngestor(t, cfg, nil)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	locker, err := pgx.Connect(ctx, cfg.PostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = locker.Close(context.Background()) }()
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE calls IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	// Watched from another session: pg_stat_activity is read once per
	// transaction, and the locker's stays open.
	watcher, err := pgx.Connect(ctx, cfg.PostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = watcher.Close(context.Background()) }()

	const n = 100
	nc := r.conn(t)
	for i := range n {
		body, _, _ := openAIBody(i)
		if err := nc.Publish(event.Subject(event.KindCall), callEvent(t, fmt.Sprintf("call-%03d", i), body)); err != nil {
			t.Fatal(err)
		}
	}
	_ = nc.Flush()

	most := 0
	waitFor(t, 30*time.Second, fmt.Sprintf("%d writes waiting at once", writers), func() (bool, string) {
		var waiting int
		if err := watcher.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		most = max(most, waiting)
		return waiting >= writers, fmt.Sprintf("at most %d seen", most)
	})
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "every call stored", func() (bool, string) {
		got := len(r.calls(t))
		return got == n, fmt.Sprintf("%d of %d stored", got, n)
	})
}
