package harborai

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Stats are the publisher's counters. Whenever the publisher is quiet (no
// Publish running, nothing being written), and so once it is closed,
// Attempted == Published + Dropped + Spooled + Buffered: every event given
// to Publish is accounted for exactly once.
type Stats struct {
	Attempted int64 // events given to Publish
	Accepted  int64 // events queued (in memory, or for the spool)
	Published int64 // events acknowledged by JetStream
	Retried   int64 // publish attempts repeated after a failure
	Dropped   int64 // events given up: queue full, invalid, spool write failed, or unsent at Close
	Spooled   int64 // events written to the local spool (WithSpool)
	Buffered  int64 // events queued, awaiting their ack, or waiting for the spool now
}

type counters struct {
	attempted, accepted, published, retried, buffered  atomic.Int64
	dropQueueFull, dropInvalid, dropClosed, dropUnsent atomic.Int64
	spooled, dropSpoolFailed                           atomic.Int64
}

func (c *counters) stats() Stats {
	return Stats{
		Attempted: c.attempted.Load(),
		Accepted:  c.accepted.Load(),
		Published: c.published.Load(),
		Retried:   c.retried.Load(),
		Dropped:   c.dropQueueFull.Load() + c.dropInvalid.Load() + c.dropClosed.Load() + c.dropUnsent.Load() + c.dropSpoolFailed.Load(),
		Spooled:   c.spooled.Load(),
		Buffered:  c.buffered.Load(),
	}
}

// collector exposes the counters to Prometheus.
type collector struct {
	c *counters
	// closed: its publisher is closed. It stays registered, with the final
	// counts, until a new publisher registers on the same registry.
	closed                                                    atomic.Bool
	attempted, published, retried, dropped, spooled, buffered *prometheus.Desc
}

func newCollector(c *counters) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("harborai_client_"+name, help, labels, nil)
	}
	return &collector{c: c,
		attempted: d("events_attempted_total", "Events given to Publish."),
		published: d("events_published_total", "Events acknowledged by JetStream."),
		retried:   d("publish_retries_total", "Publish attempts repeated after a failure."),
		dropped:   d("events_dropped_total", "Events dropped, by reason.", "reason"),
		spooled:   d("events_spooled_total", "Events written to the local spool."),
		buffered:  d("events_buffered", "Events queued or awaiting their ack."),
	}
}

func (k *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- k.attempted
	ch <- k.published
	ch <- k.retried
	ch <- k.dropped
	ch <- k.spooled
	ch <- k.buffered
}

func (k *collector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(k.attempted, prometheus.CounterValue, float64(k.c.attempted.Load()))
	ch <- prometheus.MustNewConstMetric(k.published, prometheus.CounterValue, float64(k.c.published.Load()))
	ch <- prometheus.MustNewConstMetric(k.retried, prometheus.CounterValue, float64(k.c.retried.Load()))
	ch <- prometheus.MustNewConstMetric(k.dropped, prometheus.CounterValue, float64(k.c.dropQueueFull.Load()), "queue_full")
	ch <- prometheus.MustNewConstMetric(k.dropped, prometheus.CounterValue, float64(k.c.dropInvalid.Load()), "invalid")
	ch <- prometheus.MustNewConstMetric(k.dropped, prometheus.CounterValue, float64(k.c.dropClosed.Load()), "closed")
	ch <- prometheus.MustNewConstMetric(k.dropped, prometheus.CounterValue, float64(k.c.dropUnsent.Load()), "unsent_at_close")
	ch <- prometheus.MustNewConstMetric(k.dropped, prometheus.CounterValue, float64(k.c.dropSpoolFailed.Load()), "spool_failed")
	ch <- prometheus.MustNewConstMetric(k.spooled, prometheus.CounterValue, float64(k.c.spooled.Load()))
	ch <- prometheus.MustNewConstMetric(k.buffered, prometheus.GaugeValue, float64(k.c.buffered.Load()))
}
