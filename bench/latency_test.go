package bench

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/bench/report"
	"github.com/harborai/ingest/internal/pgtest"
)

var flagRate = flag.Float64("rate", 0, "maximum sustained rate in calls/s for the latency benchmark; 0 = the ingest section's, else measured")

// LatencyPhase is publish -> visible latency at one paced rate.
type LatencyPhase struct {
	Fraction float64          `json:"fraction"` // of the maximum rate
	Rate     float64          `json:"rate"`     // asked, calls/s
	Achieved float64          `json:"achieved"` // published, calls/s
	Calls    int              `json:"calls"`
	Visible  report.Durations `json:"visible"` // row's updated_at - publish time
	// WriteMean is the mean batch write during the phase: the row's
	// timestamp is its transaction's start, so it becomes visible up to
	// one write later.
	WriteMean time.Duration `json:"write_mean"`
	Batches   int64         `json:"batches"`
	// Backlog is the largest number of messages (single events or batches) waiting in JetStream while
	// the phase published: it grows when the pipeline does not keep up.
	Backlog float64 `json:"backlog"`
	// The ingestor's resident memory at the end of the phase, and its
	// peak since it started.
	RSS     int64 `json:"rss"`
	PeakRSS int64 `json:"peak_rss"`
}

// LatencyData is the latency section's raw figures.
type LatencyData struct {
	MaxRate float64        `json:"max_rate"`
	Source  string         `json:"source"`
	Phases  []LatencyPhase `json:"phases"`
}

// BenchmarkLatency paces calls through the client package to bin/ingestor
// (default settings: batch 1000, flush 50 ms) at 50% and 90% of the
// pipeline's maximum sustained rate, and compares each call's publish time
// (local clock, when its response event was handed to Publish) with the
// updated_at of its row (PostgreSQL's clock, same machine). Run with
// -benchtime 1x.
func BenchmarkLatency(b *testing.B) {
	sec := newSection("latency")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cluster := pgtest.Start(b)
	data := LatencyData{}
	data.MaxRate, data.Source = maxRate(b, cluster)
	phase := scaled(20*time.Second, 4*time.Second)

	url := prepare(b, cluster)
	in := StartIngestor(b, filepath.Join(BinDir(), "ingestor"), map[string]string{"HARBORAI_POSTGRES_URL": url})
	pool := Pool(b, url)
	sec.s.Env.PostgreSQL = ServerVersion(ctx, pool)
	pub, err := Connect(in.NATSURL)
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close(ctx)

	// Warm up: connections, the staging table, caches.
	warm := Gen{Run: "warm"}
	n, err := Pace(ctx, pub, warm, 0, data.MaxRate/2, 3*time.Second, func(Sample) {})
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := WaitComplete(ctx, pool, warm.Run, int64(n), 250*time.Millisecond); err != nil {
		b.Fatal(err)
	}

	for _, f := range []float64{0.5, 0.9} {
		gen := Gen{Run: fmt.Sprintf("l%02.0f", f*100)}
		p := LatencyPhase{Fraction: f, Rate: f * data.MaxRate}
		published := map[int]time.Time{}
		m0, err := in.Metrics(ctx)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		backlog := watchBacklog(ctx, in.HTTPAddr)
		n, err := Pace(ctx, pub, gen, 0, p.Rate, phase, func(s Sample) { published[s.Index] = s.Published })
		p.Backlog = backlog()
		if err != nil {
			b.Fatal(err)
		}
		p.Calls, p.Achieved = n, float64(n)/time.Since(start).Seconds()
		if _, err := WaitStored(ctx, in.HTTPAddr, m0.Get("harborai_batch_size_sum")+float64(2*n), 100*time.Millisecond); err != nil {
			b.Fatal(err)
		}
		if _, _, err := WaitComplete(ctx, pool, gen.Run, int64(n), 250*time.Millisecond); err != nil {
			b.Fatal(err)
		}
		m1, err := in.Metrics(ctx)
		if err != nil {
			b.Fatal(err)
		}
		p.RSS, p.PeakRSS = ProcMem(in.PID)
		p.Batches = int64(m1.Get("harborai_batch_size_count") - m0.Get("harborai_batch_size_count"))
		if p.Batches > 0 {
			sum := m1.Get("harborai_batch_write_seconds_sum") - m0.Get("harborai_batch_write_seconds_sum")
			p.WriteMean = time.Duration(sum / float64(p.Batches) * float64(time.Second))
		}
		rows, err := pool.Query(ctx, "SELECT call_id, updated_at FROM calls WHERE call_id LIKE $1", gen.Run+"-%")
		if err != nil {
			b.Fatal(err)
		}
		var lat []time.Duration
		for rows.Next() {
			var id string
			var at time.Time
			if err := rows.Scan(&id, &at); err != nil {
				b.Fatal(err)
			}
			if i, ok := gen.Index(id); ok {
				lat = append(lat, at.Sub(published[i]))
			}
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		p.Visible = report.Summarize(lat)
		b.Logf("%.0f%% of %.0f calls/s: %d calls, p50 %s, p99 %s", 100*f, data.MaxRate, n, p.Visible.P50, p.Visible.P99)
		data.Phases = append(data.Phases, p)
	}
	if len(data.Phases) > 0 {
		b.ReportMetric(float64(data.Phases[0].Visible.P99.Milliseconds()), "p99-ms@50%")
	}
	sec.finish(b, latencyMarkdown(data), data)
}

// watchBacklog polls the ingestor's consumer backlog until the returned
// function is called, which returns the largest seen.
func watchBacklog(ctx context.Context, addr string) func() float64 {
	ctx, cancel := context.WithCancel(ctx)
	largest := make(chan float64, 1)
	go func() {
		var most float64
		for ctx.Err() == nil {
			if m, err := Scrape(ctx, addr); err == nil {
				most = max(most, m.Get("harborai_consumer_pending"))
			}
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
		largest <- most
	}()
	return func() float64 {
		cancel()
		return <-largest
	}
}

// maxRate is the pipeline's maximum sustained rate at the default batch
// size: -rate, else the ingest section's (measured in the same sitting),
// else a shorter measurement now.
func maxRate(b *testing.B, cluster *pgtest.Cluster) (float64, string) {
	b.Helper()
	if *flagRate > 0 {
		return *flagRate, "-rate flag"
	}
	var ingest IngestData
	if *flagOut != "" {
		if err := report.ReadData(*flagOut, "ingest", &ingest); err == nil && maxSustained(ingest.Runs) > 0 {
			return maxSustained(ingest.Runs), "the ingest section (median of its request+response pipeline runs)"
		}
	}
	n := scaled(50_000, 10_000)
	run, pool := runPipeline(b, cluster, Gen{Run: "max"}, n, 1000, false)
	drop(b, cluster, pool)
	return run.CallsPerSec, fmt.Sprintf("measured here (%d calls, batch 1000), no ingest section found", n)
}

func latencyMarkdown(d LatencyData) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Maximum sustained rate: %s calls/s, from %s. Each call is a request and a response event; "+
		"visible = the row's `updated_at` (PostgreSQL's clock at the start of the writing transaction) minus the local time when the response event was handed to `Publish`.\n\n",
		report.Num(d.MaxRate, 0), d.Source)
	t := report.NewTable("load", "asked (calls/s)", "achieved (calls/s)", "calls", "p50", "p90", "p99", "max", "mean batch write", "largest JetStream backlog", "ingestor RSS at end / peak so far", "p99 target (<= 1 s at 50%)")
	for _, p := range d.Phases {
		verdict := ""
		if p.Fraction == 0.5 {
			verdict = report.Verdict(p.Visible.P99 <= time.Second)
		}
		t.Row(fmt.Sprintf("%.0f%% of max", 100*p.Fraction), report.Num(p.Rate, 0), report.Num(p.Achieved, 0), report.Num(float64(p.Calls), 0),
			report.Dur(p.Visible.P50), report.Dur(p.Visible.P90), report.Dur(p.Visible.P99), report.Dur(p.Visible.Max), report.Dur(p.WriteMean),
			report.Num(p.Backlog, 0)+" messages",
			report.MiB(p.RSS)+" / "+report.MiB(p.PeakRSS), verdict)
	}
	b.WriteString(t.String())
	return b.String()
}
