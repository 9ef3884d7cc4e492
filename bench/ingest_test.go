package bench

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/harborai/ingest/bench/report"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/pkg/event"
)

// IngestRun is one load of the same N calls into a freshly migrated
// database.
type IngestRun struct {
	Name string `json:"name"` // (a), (b), (c) or (r)
	// Round is the round of the run (from 1): an (a) run is compared with
	// the (b) and (c) runs of its round, made just after it.
	Round  int    `json:"round,omitempty"`
	Method string `json:"method"` // what was run
	Events string `json:"events,omitempty"`
	// Batch is the ingestor's HARBORAI_BATCH_SIZE (events), or the rows
	// per COPY of the CopyFrom baseline.
	Batch int           `json:"batch"`
	Calls int           `json:"calls"`
	Wall  time.Duration `json:"wall"`
	// Published is when the publisher had all events acknowledged by
	// JetStream (pipeline runs).
	Published   time.Duration `json:"published,omitempty"`
	CallsPerSec float64       `json:"calls_per_sec"`
	// CPU over the run: the ingestor process (embedded NATS included), this
	// benchmark process (the publisher, its events made before the clock
	// starts; or the CopyFrom client), psql, and PostgreSQL (postmaster and backends).
	CPUIngestor time.Duration `json:"cpu_ingestor,omitempty"`
	CPUBench    time.Duration `json:"cpu_bench,omitempty"`
	CPUPsql     time.Duration `json:"cpu_psql,omitempty"`
	CPUPostgres time.Duration `json:"cpu_postgres"`
	PeakRSS     int64         `json:"peak_rss,omitempty"` // the ingestor's VmHWM
	// From the ingestor's metrics: time inside batch writes, batches
	// written, redeliveries.
	WriteTime    time.Duration `json:"write_time,omitempty"`
	Batches      int64         `json:"batches,omitempty"`
	Redeliveries int64         `json:"redeliveries,omitempty"`
	// Backlog is the largest consumer backlog seen (messages in JetStream,
	// not yet delivered to the ingestor).
	Backlog int64  `json:"backlog,omitempty"`
	Counts  Counts `json:"counts"`
}

// IngestData is the ingest section's raw figures.
type IngestData struct {
	Calls      int         `json:"calls"`
	BodyBytes  float64     `json:"body_bytes"`  // request + response body per call, mean
	EventBytes [2]float64  `json:"event_bytes"` // encoded request, response event, mean
	CallBytes  float64     `json:"call_bytes"`  // encoded call event, mean
	CSVBytes   int64       `json:"csv_bytes"`
	Runs       []IngestRun `json:"runs"`
	// MaxRate is the pipeline's maximum sustained rate (maxSustained), in
	// calls/s: the latency benchmark paces at fractions of it.
	MaxRate float64      `json:"max_rate"`
	Profile *ProfileData `json:"profile,omitempty"`
}

// BenchmarkIngest loads the same N calls three ways into freshly migrated
// databases of one PostgreSQL cluster, side by side: (a) end to end,
// publish through the client package -> embedded JetStream in
// bin/ingestor -> PostgreSQL, at several batch sizes; (b) pgx CopyFrom of
// the rows each (a) run stored, read back, in chunks of the same number of calls
// per transaction; (c) psql \copy of the same rows as a CSV file; (r)
// bin/replayer loading the same calls from a spool (runReplay). Then one
// more pipeline run in-process under the CPU profiler, with
// pg_stat_statements, to find the bottleneck. Run with -benchtime 1x.
func BenchmarkIngest(b *testing.B) {
	sec := newSection("ingest")
	ctx := context.Background()
	n := scaled(*flagCalls, 20_000)
	batches := scaled([]int{250, 1000, 4000}, []int{1000})
	if *flagBatch != "" {
		batches = nil
		for f := range strings.SplitSeq(*flagBatch, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				b.Fatalf("-batches %q: want batch sizes such as 250,1000", *flagBatch)
			}
			batches = append(batches, n)
		}
	}
	cluster := pgtest.Start(b)
	data := IngestData{Calls: n}
	data.BodyBytes, data.EventBytes, data.CallBytes = sizes(Gen{Run: "size"}, 2000)

	var (
		cols    []string
		csvPath = filepath.Join(b.TempDir(), "calls.csv")
	)
	// copyFrom is (b) over the rows the pipeline run just stored in pool,
	// read back into this process only for it: no pipeline run shares the
	// process with another run's rows (hundreds of MiB the collector would
	// keep marking, and a heap goal that sends the publisher to fresh pages).
	copyFrom := func(pool *pgxpool.Pool, chunk int) IngestRun {
		c, rows, err := ExportRows(ctx, pool)
		if err != nil {
			b.Fatal(err)
		}
		if cols == nil {
			cols = c
			if data.CSVBytes, err = ExportCSV(ctx, pool, cols, csvPath); err != nil {
				b.Fatal(err)
			}
		}
		drop(b, cluster, pool)
		return runCopyFrom(b, cluster, c, rows, chunk)
	}
	rounds := *flagRounds
	if rounds <= 0 {
		rounds = 3
		if *flagBatch != "" || *flagQuick {
			rounds = 1
		}
	}
	// Each round runs every configuration once, each (a) followed by its
	// (b): a machine that slows down for a minute slows one round's pairs,
	// and the medians over rounds set it aside.
	for round := 1; round <= rounds; round++ {
		for _, batch := range batches {
			run, pool := runPipeline(b, cluster, Gen{Run: fmt.Sprintf("a%d-%d", batch, round)}, n, batch, false)
			cf := copyFrom(pool, batch/2)
			run.Round, cf.Round = round, round
			data.Runs = append(data.Runs, run, cf)
			if *flagBatch != "" && *flagWriter != "" {
				for f := range strings.SplitSeq(*flagWriter, ",") {
					s, err := strconv.Atoi(strings.TrimSpace(f))
					if err != nil || s < 1 {
						b.Fatalf("-writer-sessions %q: want session counts such as 1,2", *flagWriter)
					}
					w := runWriter(b, cluster, Gen{Run: fmt.Sprintf("w%d-%d", batch, round)}, n, batch/2, s)
					w.Round = round
					data.Runs = append(data.Runs, w)
				}
			}
		}
		if *flagBatch != "" {
			continue
		}
		callBatch := 1000
		run, pool := runPipeline(b, cluster, Gen{Run: fmt.Sprintf("c%d-%d", callBatch, round)}, n, callBatch, true)
		cf := copyFrom(pool, callBatch)
		ps := runPsql(b, cluster, cols, csvPath, n)
		run.Round, cf.Round, ps.Round = round, round, round
		data.Runs = append(data.Runs, run, cf, ps)
	}
	if *flagBatch != "" {
		for _, r := range data.Runs {
			b.Logf("round %d, %s batch %d: %.0f calls/s, CPU ingestor %s, bench %s, PostgreSQL %s, peak RSS %d MiB, write time %s, batches %d",
				r.Round, r.Name, r.Batch, r.CallsPerSec, r.CPUIngestor.Round(time.Millisecond), r.CPUBench.Round(time.Millisecond),
				r.CPUPostgres.Round(time.Millisecond), r.PeakRSS>>20, r.WriteTime.Round(time.Millisecond), r.Batches)
		}
		if *flagOut != "" {
			p := profilePipeline(b, cluster, Gen{Run: "p1000"}, scaled(n/5, 10_000), 1000, *flagOut)
			b.Logf("profile: %s, %d calls in %s", p.File, p.Calls, p.Wall.Round(time.Millisecond))
		}
		b.ReportMetric(maxSustained(data.Runs), "calls/s")
		return // a partial run: no section written, only the profile with -out
	}
	data.Runs = append(data.Runs, runReplay(b, cluster, Gen{Run: "r1000"}, n, 1000, 1000))
	sec.s.Env.PostgreSQL = ServerVersion(ctx, Pool(b, cluster.URL("postgres")))

	profDir := *flagOut
	if profDir == "" {
		profDir = b.TempDir()
	}
	data.Profile = profilePipeline(b, cluster, Gen{Run: "p1000"}, scaled(n/5, 10_000), 1000, profDir)

	data.MaxRate = maxSustained(data.Runs)
	b.ReportMetric(data.MaxRate, "calls/s")
	sec.finish(b, ingestMarkdown(data), data)
}

// sizes measures the generator's mean body and encoded event sizes.
func sizes(g Gen, n int) (body float64, events [2]float64, call float64) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for i := range n {
		req, resp := g.Call(i, at)
		body += float64(len(req.Request.Body) + len(resp.Response.Body))
		for k, ev := range []*event.Event{req, resp} {
			b, _ := event.Encode(ev)
			events[k] += float64(len(b))
		}
		b, _ := event.Encode(g.CallEvent(i, at))
		call += float64(len(b))
	}
	f := float64(n)
	return body / f, [2]float64{events[0] / f, events[1] / f}, call / f
}

// prepare checkpoints the cluster so that no run pays for the previous
// one's dirty buffers, and returns a fresh database.
func prepare(b *testing.B, cluster *pgtest.Cluster) string {
	b.Helper()
	admin := Pool(b, cluster.URL("postgres"))
	defer admin.Close()
	if _, err := admin.Exec(context.Background(), "CHECKPOINT"); err != nil {
		b.Fatalf("CHECKPOINT: %v", err)
	}
	return cluster.NewDB(b)
}

// runPipeline is (a): n calls published through the client package to
// bin/ingestor (embedded NATS, HARBORAI_POSTGRES_URL, batch size batch),
// timed from the first publish until the ingestor has stored every event
// (its batch_size metric; every write is committed before it counts) and
// checked in the table. It returns the database's pool, open.
func runPipeline(b *testing.B, cluster *pgtest.Cluster, gen Gen, n, batch int, callEvents bool) (IngestRun, *pgxpool.Pool) {
	b.Helper()
	url := prepare(b, cluster)
	env := map[string]string{
		"HARBORAI_POSTGRES_URL": url,
		"HARBORAI_BATCH_SIZE":   strconv.Itoa(batch),
		"HARBORAI_PPROF":        "true",
	}
	if *flagBatch != "" && *flagEnv != "" {
		for kv := range strings.SplitSeq(*flagEnv, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				b.Fatalf("-ingestor-env %q: want KEY=VALUE,...", *flagEnv)
			}
			env[k] = v
		}
	}
	in := StartIngestor(b, filepath.Join(BinDir(), "ingestor"), env)
	pool := Pool(b, url)
	pub, err := Connect(in.NATSURL)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	pctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	events := 2 * n
	kind := "request+response"
	if callEvents {
		events, kind = n, "call"
	}
	b.Logf("(a) pipeline: %d calls as %s events, batch %d", n, kind, batch)
	evs := Events(gen, 0, n, callEvents, time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	runtime.GC() // not the run's to pay for

	admin := Pool(b, cluster.URL("postgres"))
	defer admin.Close()
	io0, _ := ReadIO(ctx, admin)
	cpuIn, cpuSelf, cpuPG := ProcCPU(in.PID), SelfCPU(), TreeCPU(cluster.PID())
	faults, gcs := SelfFaults(), numGC()
	start := time.Now()
	if *flagBatch != "" && *flagOut != "" {
		defer profileProcesses(b, in.HTTPAddr, filepath.Join(*flagOut, gen.Run))()
	}
	published := make(chan time.Duration, 1)
	go func() {
		err := Flood(pctx, pub, evs)
		if err == nil {
			err = WaitPublished(pctx, pub)
		}
		if d := pub.Stats().Dropped; err == nil && d > 0 {
			err = fmt.Errorf("publisher dropped %d events", d)
		}
		published <- time.Since(start)
		if err != nil {
			stop(fmt.Errorf("publish: %w", err))
		}
	}()
	backlog, err := WaitStored(pctx, in.HTTPAddr, float64(events), 100*time.Millisecond)
	if err != nil {
		b.Fatalf("pipeline run: %v\n%s", err, in.Logs())
	}
	end := time.Now()
	io1, _ := ReadIO(ctx, admin)
	counts, err := Count(ctx, pool, gen.Run)
	if err != nil {
		b.Fatal(err)
	}
	if counts.Complete < int64(n) { // a redelivered event counted twice
		if end, counts, err = WaitComplete(ctx, pool, gen.Run, int64(n), 250*time.Millisecond); err != nil {
			b.Fatal(err)
		}
	}
	m, err := in.Metrics(ctx)
	if err != nil {
		b.Fatal(err)
	}
	run := IngestRun{
		Name: "(a)", Method: "pipeline", Events: kind, Batch: batch, Calls: n,
		Wall:        end.Sub(start),
		CPUIngestor: ProcCPU(in.PID) - cpuIn,
		CPUBench:    SelfCPU() - cpuSelf,
		CPUPostgres: TreeCPU(cluster.PID()) - cpuPG,
		WriteTime:   time.Duration(m.Get(`harborai_batch_write_seconds_sum`) * float64(time.Second)),
		Batches:     int64(m.Get("harborai_batch_size_count")),
		Backlog:     int64(backlog),
		Counts:      counts,
	}
	_, run.PeakRSS = ProcMem(in.PID)
	run.CallsPerSec = float64(n) / run.Wall.Seconds()
	run.Published = <-published
	run.Redeliveries = int64(m.Get("harborai_redeliveries_total"))
	if err := pub.Close(ctx); err != nil {
		b.Fatalf("publisher Close() = %v", err)
	}
	if err := in.Stop(); err != nil {
		b.Fatal(err)
	}
	if *flagBatch != "" {
		b.Logf("(a) ran %s-%s; %s; %s", start.UTC().Format("15:04:05.000"), end.UTC().Format("15:04:05.000"), Maintenance(ctx, pool), io1.Sub(io0))
		b.Logf("(a) %s", WALRecords(ctx, admin, io0, io1, 12))
		b.Logf("(a) writer paths: %.0f calls inserted directly, %.0f merged, %.0f refused direct copies; %d redeliveries",
			m.Get(`harborai_postgres_calls_written_total{path="inserted"}`), m.Get(`harborai_postgres_calls_written_total{path="merged"}`),
			m.Get("harborai_postgres_direct_refused_total"), run.Redeliveries)
	}
	st := pub.Stats()
	b.Logf("(a) %d calls in %s: %.0f calls/s; publisher: %d published, %d retried, %d dropped; bench process: %d page faults, %d GCs",
		n, run.Wall, run.CallsPerSec, st.Published, st.Retried, st.Dropped, SelfFaults()-faults, numGC()-gcs)
	return run, pool
}

// runCopyFrom is (b): pgx CopyFrom of rows into calls of a freshly
// migrated database, chunk rows per COPY.
func runCopyFrom(b *testing.B, cluster *pgtest.Cluster, cols []string, rows [][]any, chunk int) IngestRun {
	b.Helper()
	ctx := context.Background()
	url := prepare(b, cluster)
	pool := Migrated(b, url)
	defer drop(b, cluster, pool)
	admin := Pool(b, cluster.URL("postgres"))
	defer admin.Close()
	io0, _ := ReadIO(ctx, admin)
	cpuSelf, cpuPG := SelfCPU(), TreeCPU(cluster.PID())
	start := time.Now()
	if err := CopyRows(ctx, pool, cols, rows, chunk); err != nil {
		b.Fatal(err)
	}
	io1, _ := ReadIO(ctx, admin)
	run := IngestRun{
		Name: "(b)", Method: "pgx CopyFrom", Batch: chunk, Calls: len(rows),
		Wall:        time.Since(start),
		CPUBench:    SelfCPU() - cpuSelf,
		CPUPostgres: TreeCPU(cluster.PID()) - cpuPG,
	}
	run.CallsPerSec = float64(len(rows)) / run.Wall.Seconds()
	var err error
	if run.Counts, err = Count(ctx, pool, ""); err != nil {
		b.Fatal(err)
	}
	b.Logf("(b) CopyFrom %d rows, %d per COPY: %s, %.0f rows/s", len(rows), chunk, run.Wall, run.CallsPerSec)
	if *flagBatch != "" {
		b.Logf("(b) ran %s-%s; %s; %s", start.UTC().Format("15:04:05.000"), start.Add(run.Wall).UTC().Format("15:04:05.000"), Maintenance(ctx, pool), io1.Sub(io0))
		b.Logf("(b) %s", WALRecords(ctx, admin, io0, io1, 12))
	}
	return run
}

// runPsql is (c): psql \copy of the CSV file into calls of a freshly
// migrated database.
func runPsql(b *testing.B, cluster *pgtest.Cluster, cols []string, csvPath string, n int) IngestRun {
	b.Helper()
	ctx := context.Background()
	url := prepare(b, cluster)
	pool := Migrated(b, url)
	defer drop(b, cluster, pool)
	cmd := exec.Command("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url,
		"-c", `\copy calls (`+strings.Join(cols, ", ")+`) FROM '`+csvPath+`' WITH (FORMAT csv)`)
	cpuPG := TreeCPU(cluster.PID())
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("psql \\copy: %v\n%s", err, out)
	}
	run := IngestRun{
		Name: "(c)", Method: `psql \copy (CSV)`, Calls: n,
		Wall:        time.Since(start),
		CPUPsql:     cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(),
		CPUPostgres: TreeCPU(cluster.PID()) - cpuPG,
	}
	run.CallsPerSec = float64(n) / run.Wall.Seconds()
	var err error
	if run.Counts, err = Count(ctx, pool, ""); err != nil {
		b.Fatal(err)
	}
	b.Logf("(c) psql \\copy %d rows: %s, %.0f rows/s", n, run.Wall, run.CallsPerSec)
	return run
}

// perK is CPU seconds per 1000 calls.
func perK(d time.Duration, calls int) string {
	if d == 0 {
		return ""
	}
	return fmt.Sprintf("%.3f", d.Seconds()/float64(calls)*1000)
}

// ingestKey is a configuration of the ingest runs: the run, its events
// and its batch.
type ingestKey struct {
	name, events string
	batch        int
}

func ingestMarkdown(d IngestData) string {
	type roundBatch struct{ round, batch int }
	psql := map[int]IngestRun{}          // by round
	copyAt := map[roundBatch]IngestRun{} // by round and rows per COPY
	rounds := 0
	for _, r := range d.Runs {
		switch r.Name {
		case "(c)":
			psql[r.Round] = r
		case "(b)":
			copyAt[roundBatch{r.Round, r.Batch}] = r
		}
		rounds = max(rounds, r.Round)
	}
	// The ratios of each (a) run against the (b) and (c) runs of its round.
	ratios := func(r IngestRun) (toCopy, toPsql float64) {
		if c := copyAt[roundBatch{r.Round, callsPerBatch(r)}]; c.CallsPerSec > 0 {
			toCopy = r.CallsPerSec / c.CallsPerSec
		}
		if c := psql[r.Round]; c.CallsPerSec > 0 {
			toPsql = r.CallsPerSec / c.CallsPerSec
		}
		return toCopy, toPsql
	}
	batchText := func(r IngestRun) string {
		switch r.Name {
		case "(b)":
			return strconv.Itoa(r.Batch) + " rows/COPY"
		case "(c)":
			return "one COPY"
		case "(r)":
			return strconv.Itoa(r.Batch) + " calls/write"
		}
		return strconv.Itoa(r.Batch)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "N = %s calls; bodies %s bytes per call (request + response, mean); encoded events %s B (request) and %s B (response), %s B as one call event; CSV file %s.\n\n",
		report.Num(float64(d.Calls), 0), report.Num(d.BodyBytes, 0), report.Num(d.EventBytes[0], 0), report.Num(d.EventBytes[1], 0), report.Num(d.CallBytes, 0), report.MiB(d.CSVBytes))

	// The medians over rounds, each configuration in one row.
	var keys []ingestKey
	rates := map[ingestKey][]float64{}
	toCopy, toPsql := map[ingestKey][]float64{}, map[ingestKey][]float64{}
	for _, r := range d.Runs {
		k := ingestKey{r.Name, r.Events, r.Batch}
		if _, ok := rates[k]; !ok {
			keys = append(keys, k)
		}
		rates[k] = append(rates[k], r.CallsPerSec)
		if r.Name == "(a)" {
			c, p := ratios(r)
			toCopy[k], toPsql[k] = append(toCopy[k], c), append(toPsql[k], p)
		}
	}
	fmt.Fprintf(&b, "Medians over %d rounds (each round runs every configuration once, each (a) just before its (b); the range is the lowest and highest of the rounds):\n\n", rounds)
	sum := report.NewTable("run", "events", "batch", "calls/s, median", "calls/s, range", "(a)/(b), median", "(a)/(b), range", "(a)/(c), median", "(a)/(c), range")
	for _, k := range keys {
		if k.name == "(r)" {
			continue
		}
		var r IngestRun
		for _, x := range d.Runs {
			if x.Name == k.name && x.Events == k.events && x.Batch == k.batch {
				r = x
				break
			}
		}
		row := []string{r.Name + " " + r.Method, r.Events, batchText(r), report.Num(report.Median(rates[k]), 0), spread(rates[k], 0)}
		if k.name == "(a)" {
			row = append(row, "**"+fmt.Sprintf("%.2f", report.Median(toCopy[k]))+"**", spread(toCopy[k], 2),
				"**"+fmt.Sprintf("%.2f", report.Median(toPsql[k]))+"**", spread(toPsql[k], 2))
		} else {
			row = append(row, "", "", "", "")
		}
		sum.Row(row...)
	}
	b.WriteString(sum.String())

	b.WriteString("\nEvery run:\n\n")
	t := report.NewTable("round", "run", "events", "batch", "calls/s", "wall", "(a)/(b)", "(a)/(c)",
		"CPU s per 1k calls: ingestor", "bench process", "PostgreSQL", "ingestor peak RSS", "largest JetStream backlog", "batch writes (sum over writers)", "publisher done (all acked)")
	for _, r := range d.Runs {
		round := ""
		if r.Round > 0 {
			round = strconv.Itoa(r.Round)
		}
		row := []string{round, r.Name + " " + r.Method, r.Events, batchText(r), report.Num(r.CallsPerSec, 0), report.Dur(r.Wall)}
		if r.Name == "(a)" {
			c, p := ratios(r)
			row = append(row, fmt.Sprintf("%.2f", c), fmt.Sprintf("%.2f", p))
		} else {
			row = append(row, "", "")
		}
		row = append(row, perK(r.CPUIngestor, r.Calls), perK(r.CPUBench+r.CPUPsql, r.Calls), perK(r.CPUPostgres, r.Calls))
		if r.Name == "(a)" {
			row = append(row, report.MiB(r.PeakRSS), report.Num(float64(r.Backlog), 0)+" messages",
				fmt.Sprintf("%s (%.0f%% of wall, %d batches)", report.Dur(r.WriteTime), 100*r.WriteTime.Seconds()/r.Wall.Seconds(), r.Batches),
				report.Dur(r.Published))
		}
		t.Row(row...)
	}
	b.WriteString(t.String())
	if r, ok := replayRun(d.Runs); ok {
		var at []float64
		for k, c := range copyAt {
			if k.batch == r.Batch {
				at = append(at, c.CallsPerSec)
			}
		}
		fmt.Fprintf(&b, "\n(r) is bin/replayer loading the same calls from a spool written as an ingestor without PostgreSQL writes it "+
			"(spool sink, default segments, batches of 1,000 events), made before the clock starts, once; its CPU in the bench process column is the replayer's. "+
			"(r)/(b) = **%s** against the median of CopyFrom at %d rows/COPY (the automatic drain after an outage is to reuse this code; SPEC §13 wants the drain at >= 0.5).\n",
			report.Ratio(r.CallsPerSec, report.Median(at)), r.Batch)
	}
	b.WriteString("\n(a)/(b) compares each pipeline run with the CopyFrom run of its round that commits as many calls per transaction " +
		"(batch/2 for request+response events, batch for call events); (a)/(c) with the psql run of its round. CPU is per process: the ingestor (embedded NATS server included), " +
		"this benchmark's process (the publisher for (a), whose events are made before the clock starts as (b)'s rows are; the CopyFrom client for (b)), psql for (c), and every PostgreSQL process. " +
		"Targets (SPEC §13): (a)/(b) >= 0.8, (a)/(c) >= 1.0; ingestor RSS at maximum rate <= 256 MiB. " +
		"Maximum sustained rate, for the latency section: the median of the request+response runs, " + report.Num(d.MaxRate, 0) + " calls/s.\n")
	if d.Profile != nil {
		b.WriteString("\n" + d.Profile.Markdown())
	}
	return b.String()
}

// spread is the lowest and the highest of xs, with digits decimals.
func spread(xs []float64, digits int) string {
	if len(xs) < 2 {
		return ""
	}
	lo, hi := slices.Min(xs), slices.Max(xs)
	if digits == 0 {
		return report.Num(lo, 0) + "-" + report.Num(hi, 0)
	}
	return fmt.Sprintf("%.*f-%.*f", digits, lo, digits, hi)
}

// replayRun is the replayer's run, if there is one.
func replayRun(runs []IngestRun) (IngestRun, bool) {
	for _, r := range runs {
		if r.Name == "(r)" {
			return r, true
		}
	}
	return IngestRun{}, false
}

// maxSustained is the median rate of the pipeline runs with request and
// response events: on a shared machine one run can be lucky, and a rate
// the pipeline sustained once is not its maximum sustained rate.
func maxSustained(runs []IngestRun) float64 {
	var rates []float64
	for _, r := range runs {
		if r.Name == "(a)" && r.Events == "request+response" {
			rates = append(rates, r.CallsPerSec)
		}
	}
	return report.Median(rates)
}

// callsPerBatch is how many calls an (a) run commits per batch.
func callsPerBatch(r IngestRun) int {
	if r.Events == "call" {
		return r.Batch
	}
	return r.Batch / 2
}

// drop closes pool and drops its database now rather than at cleanup,
// to free its disk and cache for the next runs.
func drop(b *testing.B, cluster *pgtest.Cluster, pool *pgxpool.Pool) {
	b.Helper()
	name := pool.Config().ConnConfig.Database
	pool.Close()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, cluster.URL("postgres"))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		b.Fatalf("drop database %s: %v", name, err)
	}
}

// numGC is the number of garbage collections this process has completed.
func numGC() uint32 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.NumGC
}
