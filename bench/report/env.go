package report

import (
	"bufio"
	"debug/buildinfo"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// Env is the machine and the versions a section was measured with.
type Env struct {
	NProc      int    `json:"nproc"`
	CPUModel   string `json:"cpu_model"`
	MemTotal   string `json:"mem_total"`
	Kernel     string `json:"kernel,omitempty"`
	Go         string `json:"go"`
	PostgreSQL string `json:"postgresql,omitempty"` // server_version, set by benchmarks that start a cluster
	NATSServer string `json:"nats_server,omitempty"`
	NATSClient string `json:"nats_client,omitempty"`
	PGX        string `json:"pgx,omitempty"`
}

// CollectEnv describes this machine, and the versions of the modules
// linked into the Go binary at bin (the ingestor: its nats-server is the
// one measured), read with debug/buildinfo; with bin empty or unreadable,
// those linked into the running binary (debug.ReadBuildInfo; a test
// binary lists none).
func CollectEnv(bin string) Env {
	e := Env{
		NProc:    runtime.NumCPU(),
		CPUModel: cpuModel(),
		MemTotal: memTotal(),
		Go:       runtime.Version(),
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		e.Kernel = strings.TrimSpace(string(b))
	}
	bi, err := buildinfo.ReadFile(bin)
	if bin == "" || err != nil {
		var ok bool
		if bi, ok = debug.ReadBuildInfo(); !ok {
			return e
		}
	}
	for _, m := range bi.Deps {
		v := m.Version
		if m.Replace != nil {
			v = m.Replace.Version
		}
		switch m.Path {
		case "github.com/nats-io/nats-server/v2":
			e.NATSServer = v
		case "github.com/nats-io/nats.go":
			e.NATSClient = v
		case "github.com/jackc/pgx/v5":
			e.PGX = v
		}
	}
	return e
}

// Merge fills e's empty fields from o.
func (e Env) Merge(o Env) Env {
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	if e.NProc == 0 {
		e.NProc = o.NProc
	}
	fill(&e.CPUModel, o.CPUModel)
	fill(&e.MemTotal, o.MemTotal)
	fill(&e.Kernel, o.Kernel)
	fill(&e.Go, o.Go)
	fill(&e.PostgreSQL, o.PostgreSQL)
	fill(&e.NATSServer, o.NATSServer)
	fill(&e.NATSClient, o.NATSClient)
	fill(&e.PGX, o.PGX)
	return e
}

// Markdown renders e as a two-column table.
func (e Env) Markdown() string {
	t := NewTable("", "")
	t.Row("CPUs (nproc)", strconv.Itoa(e.NProc))
	t.Row("CPU model (/proc/cpuinfo)", e.CPUModel)
	t.Row("memory (MemTotal)", e.MemTotal)
	t.Row("kernel", e.Kernel)
	t.Row("Go", e.Go)
	t.Row("PostgreSQL server", e.PostgreSQL)
	t.Row("nats-server (module in bin/ingestor)", e.NATSServer)
	t.Row("nats.go (module in bin/ingestor)", e.NATSClient)
	t.Row("pgx (module in bin/ingestor)", e.PGX)
	return t.String()
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func memTotal() string {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseFloat(fields[1], 64)
			if err != nil {
				return fields[1] + " kB"
			}
			return strconv.FormatFloat(kb/(1<<20), 'f', 1, 64) + " GiB"
		}
	}
	return ""
}
