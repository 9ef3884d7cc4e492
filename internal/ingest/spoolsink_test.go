package ingest_test

import (
	"context"
	"testing"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/internal/sinktest"
	"github.com/harborai/ingest/internal/store"
	"github.com/harborai/ingest/pkg/record"
	"github.com/harborai/ingest/pkg/spool"
)

func TestSpoolSinkConformance(t *testing.T) {
	var dir string
	sinktest.Run(t, sinktest.Harness{
		Open: func(t *testing.T) ingest.Sink {
			dir = t.TempDir()
			w, err := spool.Open(spool.Options{Dir: dir, Sync: spool.SyncNone})
			if err != nil {
				t.Fatalf("spool.Open() = %v", err)
			}
			s := ingest.NewSpoolSink(w, "test")
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		Read: func(t *testing.T) []record.Call {
			calls, err := store.NewSpoolStore(dir).All(context.Background())
			if err != nil {
				t.Fatalf("All() = %v", err)
			}
			return calls
		},
	})
}
