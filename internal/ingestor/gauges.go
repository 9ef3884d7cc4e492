package ingestor

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/spool"
)

// registerWriterCounts exports the PostgreSQL writer's counts by path.
func registerWriterCounts(reg prometheus.Registerer, w *pg.Writer) {
	path := func(name string, count func(pg.WriteCounts) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "harborai_postgres_calls_written_total",
			Help:        "Calls committed to PostgreSQL, by path: inserted (copied straight into calls) or merged (through the staging table).",
			ConstLabels: prometheus.Labels{"path": name},
		}, func() float64 { return float64(count(w.Counts())) })
	}
	reg.MustRegister(
		path("inserted", func(c pg.WriteCounts) int64 { return c.Inserted }),
		path("merged", func(c pg.WriteCounts) int64 { return c.Merged }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "harborai_postgres_direct_refused_total",
			Help: "Calls of direct copies into calls that PostgreSQL refused (one was stored already) and that were merged instead.",
		}, func() float64 { return float64(w.Counts().Refused) }),
	)
}

// watchSpool keeps the spool gauges current until ctx ends.
func watchSpool(ctx context.Context, dir string, m *ingest.Metrics) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		segs, err := spool.Segments(dir)
		if err == nil {
			var size int64
			for _, s := range segs {
				size += s.Size
			}
			m.SpoolSegments.Set(float64(len(segs)))
			m.SpoolBytes.Set(float64(size))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
