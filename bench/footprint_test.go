package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/bench/report"
	"github.com/harborai/ingest/internal/pgtest"
)

// Binary is one command's size on disk.
type Binary struct {
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
}

// StartRow is the ingestor's start-up in one configuration.
type StartRow struct {
	Mode    string           `json:"mode"`
	Ready   report.Durations `json:"ready"`    // exec -> /readyz answers 200
	IdleRSS int64            `json:"idle_rss"` // VmRSS after idling
}

// FootprintData is the footprint section's raw figures.
type FootprintData struct {
	Binaries []Binary      `json:"binaries"`
	Idle     time.Duration `json:"idle"`
	Starts   []StartRow    `json:"starts"`
}

// BenchmarkFootprint reports the sizes of the four commands as make build
// makes them, and the ingestor's start-up (exec until /readyz answers 200,
// the median of several starts, each over a fresh data directory) and its
// resident memory once idle. Run make build first, and -benchtime 1x.
func BenchmarkFootprint(b *testing.B) {
	sec := newSection("footprint")
	data := FootprintData{Idle: scaled(5*time.Second, time.Second)}
	for _, name := range []string{"ingestor", "replayer", "publisher-sdk", "harborctl"} {
		fi, err := os.Stat(filepath.Join(BinDir(), name))
		if err != nil {
			b.Fatalf("%v (run make build first)", err)
		}
		data.Binaries = append(data.Binaries, Binary{Name: "bin/" + name, Bytes: fi.Size()})
	}
	starts := scaled(7, 2)
	cluster := pgtest.Start(b)
	url := cluster.NewDB(b)
	sec.s.Env.PostgreSQL = ServerVersion(context.Background(), Pool(b, url))
	data.Starts = append(data.Starts,
		startups(b, "embedded NATS, spool (no PostgreSQL)", nil, starts, data.Idle),
		startups(b, "embedded NATS + PostgreSQL, first start (migrations)", map[string]string{"HARBORAI_POSTGRES_URL": url}, 1, data.Idle),
		startups(b, "embedded NATS + PostgreSQL, schema present", map[string]string{"HARBORAI_POSTGRES_URL": url}, starts, data.Idle),
	)
	sec.finish(b, footprintMarkdown(data), data)
}

// startups starts the ingestor n times with env and measures each start;
// the last one idles for idle before its RSS is read.
func startups(b *testing.B, mode string, env map[string]string, n int, idle time.Duration) StartRow {
	b.Helper()
	row := StartRow{Mode: mode}
	var ready []time.Duration
	for k := range n {
		addr := freeAddr(b)
		vars := map[string]string{"HARBORAI_METRICS_ADDR": addr}
		for key, v := range env {
			vars[key] = v
		}
		start := time.Now()
		in, err := LaunchIngestor(filepath.Join(BinDir(), "ingestor"), b.TempDir(), vars)
		if err != nil {
			b.Fatal(err)
		}
		if err := Ready(addr, 60*time.Second); err != nil {
			_ = in.Stop()
			b.Fatalf("ingestor (%s): %v\n%s", mode, err, in.Logs())
		}
		ready = append(ready, time.Since(start))
		if k == n-1 {
			time.Sleep(idle)
			row.IdleRSS, _ = ProcMem(in.PID)
		}
		if err := in.Stop(); err != nil {
			b.Fatal(err)
		}
	}
	row.Ready = report.Summarize(ready)
	b.Logf("%s: ready p50 %s, idle RSS %s", mode, row.Ready.P50, report.MiB(row.IdleRSS))
	return row
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(b *testing.B) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func footprintMarkdown(d FootprintData) string {
	var b strings.Builder
	t := report.NewTable("binary (make build: go build -trimpath)", "size")
	for _, bin := range d.Binaries {
		t.Row("`"+bin.Name+"`", report.MiB(bin.Bytes))
	}
	b.WriteString(t.String())
	fmt.Fprintf(&b, "\nStart-up: from exec until `/readyz` answers 200 (JetStream stream and consumer created, pipeline consuming), each start over a fresh data directory; "+
		"idle RSS: VmRSS after %s with no traffic.\n\n", report.Dur(d.Idle))
	t = report.NewTable("ingestor", "starts", "ready p50", "ready max", "idle RSS")
	for _, s := range d.Starts {
		t.Row(s.Mode, fmt.Sprint(s.Ready.N), report.Dur(s.Ready.P50), report.Dur(s.Ready.Max), report.MiB(s.IdleRSS))
	}
	b.WriteString(t.String())
	return b.String()
}
