package ingest

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/harborai/ingest/pkg/record"
)

// GenAI semantic-convention bucket boundaries, in seconds.
var (
	durationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
	ttftBuckets     = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0}
)

// Fallback logger states (the seed's harborai_fallback_logger_state).
const (
	StatePostgres     = 0
	StateFile         = 1
	StateInitializing = 2
	StateError        = 3
)

// Metrics are the ingestor's Prometheus collectors.
type Metrics struct {
	EventsReceived  *prometheus.CounterVec
	EventsRejected  *prometheus.CounterVec
	CallsStored     *prometheus.CounterVec
	Tokens          *prometheus.CounterVec
	Cost            *prometheus.CounterVec
	Unpriced        *prometheus.CounterVec
	Confidence      prometheus.Histogram
	Inconsistent    *prometheus.CounterVec
	CallDuration    *prometheus.HistogramVec
	TTFT            *prometheus.HistogramVec
	BatchSize       prometheus.Histogram
	BatchLatency    *prometheus.HistogramVec
	WriteErrors     *prometheus.CounterVec
	Redeliveries    prometheus.Counter
	ConsumerPending prometheus.Gauge
	AckPending      prometheus.Gauge
	State           prometheus.Gauge
	PostgresHealth  prometheus.Gauge
	ConsistencyFix  prometheus.Counter
	SpoolSegments   prometheus.Gauge
	SpoolBytes      prometheus.Gauge
}

// NewMetrics registers the collectors with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		EventsReceived:  f.NewCounterVec(prometheus.CounterOpts{Name: "harborai_events_received_total", Help: "Events consumed from JetStream, by kind."}, []string{"kind"}),
		EventsRejected:  f.NewCounterVec(prometheus.CounterOpts{Name: "harborai_events_rejected_total", Help: "Events rejected and quarantined, by reason."}, []string{"reason"}),
		CallsStored:     f.NewCounterVec(prometheus.CounterOpts{Name: "harborai_calls_total", Help: "Call fragments stored, by provider, model and status."}, []string{"provider", "model", "status"}),
		Tokens:          f.NewCounterVec(prometheus.CounterOpts{Name: "harborai_tokens_total", Help: "Tokens stored, by provider, model and type."}, []string{"provider", "model", "type"}),
		Cost:            f.NewCounterVec(prometheus.CounterOpts{Name: "harborai_cost_total", Help: "Cost stored, by currency (never summed across currencies)."}, []string{"currency"}),
		Unpriced:        f.NewCounterVec(prometheus.CounterOpts{Name: "harborai_unpriced_calls_total", Help: "Calls with usage but no price (pricing_source not_found)."}, []string{"provider", "model"}),
		Confidence:      f.NewHistogram(prometheus.HistogramOpts{Name: "harborai_token_parsing_confidence", Help: "Confidence of parsed token usage.", Buckets: []float64{0, 0.25, 0.5, 0.75, 0.9, 0.99, 1}}),
		Inconsistent:    f.NewCounterVec(prometheus.CounterOpts{Name: "harborai_token_inconsistent_total", Help: "Calls whose vendor total differs from prompt + completion (kept as reported)."}, []string{"provider"}),
		CallDuration:    f.NewHistogramVec(prometheus.HistogramOpts{Name: "harborai_call_duration_seconds", Help: "LLM call duration.", Buckets: durationBuckets}, []string{"provider", "model"}),
		TTFT:            f.NewHistogramVec(prometheus.HistogramOpts{Name: "harborai_time_to_first_token_seconds", Help: "Time to first byte of the response.", Buckets: ttftBuckets}, []string{"provider", "model"}),
		BatchSize:       f.NewHistogram(prometheus.HistogramOpts{Name: "harborai_batch_size", Help: "Events per written batch.", Buckets: prometheus.ExponentialBuckets(1, 2, 14)}),
		BatchLatency:    f.NewHistogramVec(prometheus.HistogramOpts{Name: "harborai_batch_write_seconds", Help: "Batch write latency, by sink.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"sink"}),
		WriteErrors:     f.NewCounterVec(prometheus.CounterOpts{Name: "harborai_sink_write_errors_total", Help: "Failed batch writes, by sink."}, []string{"sink"}),
		Redeliveries:    f.NewCounter(prometheus.CounterOpts{Name: "harborai_redeliveries_total", Help: "Events delivered more than once by JetStream (absorbed by idempotent writes)."}),
		ConsumerPending: f.NewGauge(prometheus.GaugeOpts{Name: "harborai_consumer_pending", Help: "Messages in JetStream not yet delivered to the ingestor (consumer lag); a batch message holds several events."}),
		AckPending:      f.NewGauge(prometheus.GaugeOpts{Name: "harborai_consumer_ack_pending", Help: "Messages delivered and not yet acknowledged; a batch message holds several events."}),
		State:           f.NewGauge(prometheus.GaugeOpts{Name: "harborai_fallback_logger_state", Help: "0 PostgreSQL, 1 file (spool), 2 initializing, 3 error."}),
		PostgresHealth:  f.NewGauge(prometheus.GaugeOpts{Name: "harborai_postgres_health_status", Help: "1 when PostgreSQL is configured and healthy, 0 otherwise."}),
		ConsistencyFix:  f.NewCounter(prometheus.CounterOpts{Name: "harborai_token_consistency_fixes_total", Help: "Derived fields corrected by the consistency checker."}),
		SpoolSegments:   f.NewGauge(prometheus.GaugeOpts{Name: "harborai_spool_segments", Help: "Spool segments not yet loaded into PostgreSQL (or held as the store)."}),
		SpoolBytes:      f.NewGauge(prometheus.GaugeOpts{Name: "harborai_spool_bytes", Help: "Bytes on disk of those segments."}),
	}
}

// observeStored records what a stored batch contained.
func (m *Metrics) observeStored(calls []record.Call) {
	for i := range calls {
		c := &calls[i]
		if !c.HasResponse() {
			continue
		}
		model := c.Model
		m.CallsStored.WithLabelValues(c.Provider, model, c.Status).Inc()
		if c.LatencyMS != nil {
			m.CallDuration.WithLabelValues(c.Provider, model).Observe(*c.LatencyMS / 1000)
		}
		if c.TTFTMS != nil {
			m.TTFT.WithLabelValues(c.Provider, model).Observe(*c.TTFTMS / 1000)
		}
		if u := c.Usage; u != nil && !u.UsageMissing {
			m.Confidence.Observe(u.Confidence)
			addTokens(m.Tokens, c.Provider, model, "prompt", u.PromptTokens)
			addTokens(m.Tokens, c.Provider, model, "completion", u.CompletionTokens)
			addTokens(m.Tokens, c.Provider, model, "cached", u.CachedTokens)
			addTokens(m.Tokens, c.Provider, model, "reasoning", u.ReasoningTokens)
			addTokens(m.Tokens, c.Provider, model, "cache_write", u.CacheWriteTokens)
			if u.Consistency == "total_mismatch" {
				m.Inconsistent.WithLabelValues(c.Provider).Inc()
			}
		}
		if ci := c.Cost; ci != nil {
			if ci.TotalCost != nil {
				f, _ := ci.TotalCost.Float64()
				m.Cost.WithLabelValues(ci.Currency).Add(f)
			} else if ci.PricingSource == "not_found" && c.Usage != nil && !c.Usage.UsageMissing {
				m.Unpriced.WithLabelValues(c.Provider, model).Inc()
			}
		}
	}
}

func addTokens(v *prometheus.CounterVec, provider, model, typ string, n *int64) {
	if n != nil && *n > 0 {
		v.WithLabelValues(provider, model, typ).Add(float64(*n))
	}
}
