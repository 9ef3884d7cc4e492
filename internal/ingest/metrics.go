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
		CallsStored:     f.NewCounterVec(prometheus.CounterOpts{Name: "harborai_calls_total", Help: "Responses stored, by provider, model and status."}, []string{"provider", "model", "status"}),
		Tokens:          f.NewCounterVec(prometheus.CounterOpts{Name: "harborai_tokens_total", Help: "Tokens stored, by provider, model and type."}, []string{"provider", "model", "type"}),
		Cost:            f.NewCounterVec(prometheus.CounterOpts{Name: "harborai_cost_total", Help: "Cost stored, by currency (never summed across currencies)."}, []string{"currency"}),
		Unpriced:        f.NewCounterVec(prometheus.CounterOpts{Name: "harborai_unpriced_calls_total", Help: "Calls with tokens but no cost: no price found, or pricing failed (pricing_error)."}, []string{"provider", "model"}),
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

// observeStored records what a stored batch contained. Counters are summed
// over the batch first and each label set is looked up once per batch, not
// once per call: the lookups (hashing and checking the label values) cost
// more than the counting.
func (m *Metrics) observeStored(calls []record.Call) {
	type model struct{ provider, model string }
	type modelSums struct {
		duration, ttft prometheus.Observer
		tokens         [len(tokenTypes)]float64 // as the counters hold them: no overflow
		unpriced       int
	}
	type status struct {
		model
		status string
	}
	var (
		models       = map[model]*modelSums{}
		statuses     = map[status]int{}
		inconsistent = map[string]int{}
		costs        = map[string]float64{}
	)
	for i := range calls {
		c := &calls[i]
		if !c.HasResponse() {
			continue
		}
		k := model{c.Provider, c.Model}
		sums := models[k]
		if sums == nil {
			sums = &modelSums{}
			models[k] = sums
		}
		statuses[status{k, c.Status}]++
		if c.LatencyMS != nil {
			if sums.duration == nil {
				sums.duration = m.CallDuration.WithLabelValues(k.provider, k.model)
			}
			sums.duration.Observe(*c.LatencyMS / 1000)
		}
		if c.TTFTMS != nil {
			if sums.ttft == nil {
				sums.ttft = m.TTFT.WithLabelValues(k.provider, k.model)
			}
			sums.ttft.Observe(*c.TTFTMS / 1000)
		}
		if u := c.Usage; u != nil && !u.UsageMissing {
			m.Confidence.Observe(u.Confidence)
			for j, n := range [len(tokenTypes)]*int64{u.PromptTokens, u.CompletionTokens, u.CachedTokens, u.ReasoningTokens, u.CacheWriteTokens} {
				if n != nil && *n > 0 {
					sums.tokens[j] += float64(*n)
				}
			}
			if u.Consistency == "total_mismatch" {
				inconsistent[c.Provider]++
			}
		}
		if ci := c.Cost; ci != nil && ci.TotalCost != nil {
			f, _ := ci.TotalCost.Float64()
			costs[ci.Currency] += f
		} else if c.Unpriced() {
			sums.unpriced++
		}
	}
	for k, n := range statuses {
		m.CallsStored.WithLabelValues(k.provider, k.model.model, k.status).Add(float64(n))
	}
	for k, sums := range models {
		for j, n := range sums.tokens {
			if n > 0 {
				m.Tokens.WithLabelValues(k.provider, k.model, tokenTypes[j]).Add(n)
			}
		}
		if sums.unpriced > 0 {
			m.Unpriced.WithLabelValues(k.provider, k.model).Add(float64(sums.unpriced))
		}
	}
	for provider, n := range inconsistent {
		m.Inconsistent.WithLabelValues(provider).Add(float64(n))
	}
	for currency, f := range costs {
		m.Cost.WithLabelValues(currency).Add(f)
	}
}

// tokenTypes are the type label values of harborai_tokens_total.
var tokenTypes = [...]string{"prompt", "completion", "cached", "reasoning", "cache_write"}
