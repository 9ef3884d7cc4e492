package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/bench/report"
	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/testutil"
)

// ProfileData is where the time of one in-process pipeline run went.
type ProfileData struct {
	Calls       int           `json:"calls"`
	Wall        time.Duration `json:"wall"`
	CallsPerSec float64       `json:"calls_per_sec"`
	File        string        `json:"file"`         // the CPU profile
	ProfileCPU  time.Duration `json:"profile_cpu"`  // CPU samples in the profile
	Stages      []Stage       `json:"stages"`       // share of the samples by stage
	Statements  []Statement   `json:"statements"`   // PostgreSQL's time, by statement
	PostgresCPU time.Duration `json:"postgres_cpu"` // all server processes
	Heap        *HeapData     `json:"heap,omitempty"`
}

// HeapData is where the process's heap was when the publisher was done
// and the backlog in JetStream near its largest. (The process's RSS would
// say nothing: it also holds what the earlier runs left.)
type HeapData struct {
	File      string  `json:"file"`
	Backlog   float64 `json:"backlog"`    // events not yet delivered to the ingestor
	HeapInuse int64   `json:"heap_inuse"` // after a GC
	Stages    []Stage `json:"stages"`     // share of the in-use heap by allocating stack
}

// heapStages attribute in-use memory by the functions on the allocating
// stack.
var heapStages = []struct{ name, pattern string }{
	{"embedded nats-server", `nats-server/v2/server\.`},
	{"  of which the file store (message blocks and their cache)", `server\.\(\*(msgBlock|fileStore)\)`},
	{"nats.go clients (read buffers, pull subscriptions)", `nats%2ego\.`},
	{"client package (publisher queue)", `pkg/harborai\.`},
	{"ingestor pipeline (batches, calls)", `internal/ingest\.`},
	{"pgx", `jackc/pgx`},
	{"benchmark (events made, waiting in the publisher)", `harborai/ingest/bench\.`},
}

// snapshotHeap collects the garbage, writes a heap profile to path and
// attributes the in-use heap.
func snapshotHeap(ctx context.Context, b *testing.B, path, metricsAddr string) *HeapData {
	runtime.GC()
	h := &HeapData{File: path}
	if m, err := Scrape(ctx, metricsAddr); err == nil {
		h.Backlog = m.Get("harborai_consumer_pending")
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h.HeapInuse = int64(ms.HeapInuse)
	f, err := os.Create(path)
	if err != nil {
		b.Error(err)
		return h
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Error(err)
		return h
	}
	_, h.Stages = pprofShares(b, path, "-sample_index=inuse_space", heapStages)
	return h
}

// Stage is the share of the profile's CPU samples whose stack holds a
// function matching Pattern.
type Stage struct {
	Name    string  `json:"name"`
	Pattern string  `json:"pattern"`
	Percent float64 `json:"percent"`
}

// Statement is one line of pg_stat_statements.
type Statement struct {
	Query  string        `json:"query"`
	Calls  int64         `json:"calls"`
	Total  time.Duration `json:"total"`
	Mean   time.Duration `json:"mean"`
	Rows   int64         `json:"rows"`
	OfWall float64       `json:"of_wall"` // Total / the run's wall time
}

// stages are the pipeline's stages as functions on the stack. A sample
// counts in every stage its stack holds (GC assists inside Build count in
// Build too).
var stages = []struct{ name, pattern string }{
	{"benchmark: event generation", `harborai/ingest/bench\.Gen\.`},
	{"client package: validate, encode, PublishAsync", `pkg/harborai\.\(\*Publisher\)\.run`},
	{"embedded nats-server, all", `nats-server/v2/server\.`},
	{"  of which storing messages (fileStore.StoreMsg)", `server\.\(\*fileStore\)\.StoreMsg`},
	{"  of which acks and work-queue removal", `server\.\(\*consumer\)\.processInboundAcks`},
	{"nats.go read loops (publisher's acks, ingestor's deliveries)", `nats%2ego\.\(\*Conn\)\.readLoop`},
	{"ingestor: prepare (decode, build, merge, sort)", `internal/ingest\.\(\*Pipeline\)\.prepare`},
	{"  of which event.Decode (JSON, validate)", `pkg/event\.Decode`},
	{"  of which ingest.Build (parse usage, cost)", `internal/ingest\.Build$`},
	{"    of which parse.Parse", `pkg/parse\.Parse$`},
	{"ingestor: commit (pg.Writer.Write client side, acks)", `internal/ingest\.\(\*Pipeline\)\.commit`},
	{"  of which COPY row encoding (pg.copyRows)", `pkg/pg\.\(\*copyRows\)\.add`},
	{"ingestor: metrics of stored calls", `internal/ingest\.\(\*Metrics\)\.observeStored`},
	{"garbage collector (background marking)", `runtime\.gcBgMarkWorker`},
}

// profilePipeline runs the pipeline in this process (ingestor.Run, as the
// tests do) under the CPU profiler, with pg_stat_statements recording the
// server's side: a breakdown of one run at batch size batch.
func profilePipeline(b *testing.B, cluster *pgtest.Cluster, gen Gen, n, batch int, dir string) *ProfileData {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	enableStatStatements(b, cluster)
	url := prepare(b, cluster)
	pool := Pool(b, url)
	if _, err := pool.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
		b.Fatalf("create extension pg_stat_statements: %v", err)
	}
	cfg := ingestor.DefaultConfig()
	cfg.PostgresURL, cfg.BatchSize = url, batch
	in := testutil.StartIngestor(b, cfg, nil)
	pub, err := Connect(in.NATSURL)
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close(ctx)
	if _, err := pool.Exec(ctx, "SELECT pg_stat_statements_reset()"); err != nil {
		b.Fatal(err)
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "ingest.cpu.pprof")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	evs := Events(gen, 0, n, false, time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	cpuPG := TreeCPU(cluster.PID())
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	pctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	heap := make(chan *HeapData, 1)
	go func() {
		err := Flood(pctx, pub, evs)
		if err == nil {
			err = WaitPublished(pctx, pub)
		}
		if d := pub.Stats().Dropped; err == nil && d > 0 {
			err = fmt.Errorf("publisher dropped %d events", d)
		}
		if err != nil {
			stop(fmt.Errorf("publish: %w", err))
			heap <- nil
			return
		}
		// Everything is published: the backlog in JetStream is about
		// at its largest. Where is the memory?
		heap <- snapshotHeap(pctx, b, filepath.Join(dir, "ingest.heap.pprof"), in.HTTPAddr)
	}()
	_, err = WaitStored(pctx, in.HTTPAddr, float64(2*n), 100*time.Millisecond)
	end := time.Now()
	pprof.StopCPUProfile()
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := WaitComplete(ctx, pool, gen.Run, int64(n), 250*time.Millisecond); err != nil {
		b.Fatal(err)
	}
	heapData := <-heap
	p := &ProfileData{Calls: n, Wall: end.Sub(start), File: path, PostgresCPU: TreeCPU(cluster.PID()) - cpuPG, Heap: heapData}
	if err := in.Stop(); err != nil {
		b.Fatal(err)
	}
	p.CallsPerSec = float64(n) / p.Wall.Seconds()

	rows, err := pool.Query(ctx, `SELECT regexp_replace(query, '\s+', ' ', 'g'), calls, total_exec_time, rows
		FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		ORDER BY total_exec_time DESC LIMIT 6`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var s Statement
		var ms float64
		if err := rows.Scan(&s.Query, &s.Calls, &ms, &s.Rows); err != nil {
			b.Fatal(err)
		}
		s.Total = time.Duration(ms * float64(time.Millisecond))
		s.Mean = s.Total / time.Duration(max(s.Calls, 1))
		s.OfWall = s.Total.Seconds() / p.Wall.Seconds()
		p.Statements = append(p.Statements, s)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	var total string
	total, p.Stages = pprofShares(b, path, "", stages)
	p.ProfileCPU, _ = time.ParseDuration(total)
	return p
}

// enableStatStatements loads pg_stat_statements into the cluster (a
// restart). Only the profiled run comes after it.
func enableStatStatements(b *testing.B, cluster *pgtest.Cluster) {
	b.Helper()
	admin := Pool(b, cluster.URL("postgres"))
	_, err := admin.Exec(context.Background(), "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
	admin.Close()
	if err != nil {
		b.Fatalf("enable pg_stat_statements: %v", err)
	}
	if err := cluster.Stop("fast"); err != nil {
		b.Fatal(err)
	}
	if err := cluster.Start(); err != nil {
		b.Fatal(err)
	}
}

// showing is pprof's summary line: "Showing nodes accounting for 1.2s, 3.4% of 5.6s total".
var showing = regexp.MustCompile(`Showing nodes accounting for ([0-9.a-zA-Zµ]+), ([0-9.]+)% of ([0-9.a-zA-Zµ]+) total`)

// pprofShares asks go tool pprof, for each stage, for the share of the
// profile's samples whose stack holds the stage's function, and returns
// the profile's total as pprof prints it.
func pprofShares(b *testing.B, path, sampleIndex string, stages []struct{ name, pattern string }) (string, []Stage) {
	var total string
	var out []Stage
	for _, s := range stages {
		args := []string{"tool", "pprof", "-top", "-nodecount=1000000", "-focus=" + s.pattern}
		if sampleIndex != "" {
			args = append(args, sampleIndex)
		}
		text, err := exec.Command("go", append(args, path)...).CombinedOutput()
		if err != nil {
			b.Errorf("go tool pprof: %v\n%s", err, text)
			return total, out
		}
		st := Stage{Name: s.name, Pattern: s.pattern}
		if m := showing.FindStringSubmatch(string(text)); m != nil {
			st.Percent, _ = strconv.ParseFloat(m[2], 64)
			total = m[3]
		}
		out = append(out, st)
	}
	return total, out
}

// Markdown renders the breakdown.
func (p *ProfileData) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Where the time goes** (one more pipeline run, in-process under the CPU profiler: %s calls, batch 1000, %s calls/s; "+
		"%s of CPU samples over %s of wall, i.e. %.2f of the 2 cores, publisher and embedded NATS included; PostgreSQL used %s of CPU). "+
		"Profile: `%s` (`go tool pprof -http=: %s`).\n\n",
		report.Num(float64(p.Calls), 0), report.Num(p.CallsPerSec, 0), report.Dur(p.ProfileCPU), report.Dur(p.Wall),
		p.ProfileCPU.Seconds()/p.Wall.Seconds(), report.Dur(p.PostgresCPU), filepath.Base(p.File), filepath.Base(p.File))
	b.WriteString(stageTable("stage (functions on the stack)", "share of the CPU samples", p.Stages))
	b.WriteString("\nPostgreSQL's side of the same run (pg_stat_statements, top statements by total execution time):\n\n")
	t := report.NewTable("statement", "calls", "total", "mean", "rows", "share of wall")
	for _, s := range p.Statements {
		q := s.Query
		if len(q) > 90 {
			q = q[:87] + "..."
		}
		t.Row("`"+q+"`", strconv.FormatInt(s.Calls, 10), report.Dur(s.Total), report.Dur(s.Mean), report.Num(float64(s.Rows), 0), fmt.Sprintf("%.0f%%", 100*s.OfWall))
	}
	b.WriteString(t.String())
	if h := p.Heap; h != nil {
		fmt.Fprintf(&b, "\nThe heap of the same run when the publisher was done (%s events still in JetStream): %s in use after a GC; "+
			"by allocating stack (`%s`, `go tool pprof -sample_index=inuse_space`; a sample counts in every line its stack matches):\n\n",
			report.Num(h.Backlog, 0), report.MiB(h.HeapInuse), filepath.Base(h.File))
		b.WriteString(stageTable("allocated by", "share of the in-use heap", h.Stages))
	}
	return b.String()
}

// stageTable renders stages, nesting the names indented by two spaces.
func stageTable(what, share string, stages []Stage) string {
	t := report.NewTable(what, share)
	for _, s := range stages {
		name := strings.TrimLeft(s.Name, " ")
		if depth := (len(s.Name) - len(name)) / 2; depth > 0 {
			name = strings.Repeat("&nbsp;&nbsp;&nbsp;", depth) + "↳ " + name
		}
		t.Row(name, fmt.Sprintf("%.1f%%", s.Percent))
	}
	return t.String()
}

// profileWindow is how long a partial run's processes are profiled, from
// the start of the run: the steady state of a 200k-call run.
const profileWindow = 10 * time.Second

// profileProcesses CPU-profiles this process and the ingestor (through its
// /debug/pprof/profile, HARBORAI_PPROF) for profileWindow from now, in the
// background, writing prefix+".bench.cpu.pprof" and
// prefix+".ingestor.cpu.pprof". wait waits for both to be written. It is for
// partial runs (-batches with -out), whose figures are not recorded.
func profileProcesses(b *testing.B, httpAddr, prefix string) (wait func()) {
	b.Helper()
	self, err := os.Create(prefix + ".bench.cpu.pprof")
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(self); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", httpAddr, int(profileWindow.Seconds()))
		err := fetchProfile(url, prefix+".ingestor.cpu.pprof")
		pprof.StopCPUProfile()
		done <- errors.Join(err, self.Close())
	}()
	return func() {
		if err := <-done; err != nil {
			b.Logf("profiles: %v", err)
		}
		b.Logf("profiles of %s: %s.{bench,ingestor}.cpu.pprof", profileWindow, prefix)
	}
}

// fetchProfile writes what url answers to path.
func fetchProfile(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
