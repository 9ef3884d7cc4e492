package ingestor

import (
	"context"
	"sync/atomic"
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

// postgresHealth keeps harborai_postgres_health_status and the state gauge
// current: every batch write tells (wrote), and while none is attempted (no
// traffic, or before the first batch) a probe every probeEvery does, so an
// outage shows on the dashboard even when the apps are quiet.
type postgresHealth struct {
	m         *ingest.Metrics
	lastWrite atomic.Int64 // unix nanoseconds of the last write attempt
	// writeFailed: the last write failed. The pipeline retries it until it
	// succeeds; meanwhile a probe that succeeds does not say healthy (a
	// lock or a fault of the calls table alone leaves the probe's heartbeat
	// row writable).
	writeFailed atomic.Bool
}

// probeEvery is how often an idle ingestor probes PostgreSQL.
const probeEvery = 2 * time.Second

func (h *postgresHealth) set(ok bool) {
	h.m.PostgresHealth.Set(boolGauge(ok))
	if ok {
		h.m.State.Set(ingest.StatePostgres)
	} else {
		h.m.State.Set(ingest.StateError)
	}
}

// wrote records the outcome of a batch write.
func (h *postgresHealth) wrote(err error) {
	h.lastWrite.Store(time.Now().UnixNano())
	h.writeFailed.Store(err != nil)
	h.set(err == nil)
}

// watch probes w while no write has been attempted for probeEvery, until
// ctx ends.
func (h *postgresHealth) watch(ctx context.Context, w *pg.Writer) {
	t := time.NewTicker(probeEvery)
	defer t.Stop()
	for {
		if time.Since(time.Unix(0, h.lastWrite.Load())) >= probeEvery {
			err := w.Probe(ctx)
			if ctx.Err() != nil {
				return
			}
			if err != nil || !h.writeFailed.Load() {
				h.set(err == nil)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
