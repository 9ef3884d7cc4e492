package pg_test

import (
	"testing"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/sinktest"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/record"
)

var _ ingest.Sink = (*pg.Writer)(nil)

func TestWriterConformance(t *testing.T) {
	var store *pg.Store
	sinktest.Run(t, sinktest.Harness{
		Open: func(t *testing.T) ingest.Sink {
			cfg := pg.Config{URL: pgtest.Start(t).NewDB(t)}
			w, err := pg.NewWriter(t.Context(), cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = w.Close() })
			if _, err := pg.Migrate(t.Context(), w.Pool()); err != nil {
				t.Fatal(err)
			}
			store = pg.NewStore(w.Pool(), cfg)
			return w
		},
		Read: func(t *testing.T) []record.Call {
			var all []record.Call
			f := pg.Filter{Limit: 1000}
			for {
				page, next, err := store.List(t.Context(), f)
				if err != nil {
					t.Fatalf("List() = %v", err)
				}
				all = append(all, page...)
				if next == nil {
					return all
				}
				f.After = next
			}
		},
	})
}
