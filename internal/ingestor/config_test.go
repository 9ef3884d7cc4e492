package ingestor_test

import (
	"errors"
	"flag"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/ingestor"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoad(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(c ingestor.Config) bool
	}{
		{"defaults", nil, nil, func(c ingestor.Config) bool {
			return c.NATSURL == "" && c.NATSListen == "127.0.0.1:4222" && c.DataDir == "./harborai-data" && c.PostgresURL == "" && c.MetricsAddr == ""
		}},
		{"environment", nil, map[string]string{"HARBORAI_NATS_URL": "nats://n:4222", "HARBORAI_DATA_DIR": "/d", "HARBORAI_METRICS_ADDR": ":9464",
			"HARBORAI_ENVIRONMENT": "prod", "HARBORAI_BATCH_SIZE": "200", "HARBORAI_FLUSH_INTERVAL": "10ms", "HARBORAI_KEEP_BODIES": "false"},
			func(c ingestor.Config) bool {
				return c.NATSURL == "nats://n:4222" && c.DataDir == "/d" && c.MetricsAddr == ":9464" && c.Environment == "prod" &&
					c.BatchSize == 200 && c.FlushInterval == 10*time.Millisecond && !c.KeepBodies
			}},
		{"flags override the environment", []string{"-data-dir", "/flag", "-batch-size", "7"}, map[string]string{"HARBORAI_DATA_DIR": "/env", "HARBORAI_BATCH_SIZE": "9"},
			func(c ingestor.Config) bool { return c.DataDir == "/flag" && c.BatchSize == 7 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ingestor.Load(tc.args, env(tc.env), io.Discard)
			if err != nil {
				t.Fatalf("Load() = %v", err)
			}
			if !tc.check(c) {
				t.Errorf("Load() = %+v", c)
			}
		})
	}
}

// TestLoadReportsEveryProblem: a bad configuration fails with one message
// naming every bad variable.
func TestLoadReportsEveryProblem(t *testing.T) {
	bad := map[string]string{
		"HARBORAI_BATCH_SIZE":     "lots",
		"HARBORAI_FLUSH_INTERVAL": "soon",
		"HARBORAI_NATS_SYNC":      "sometimes",
		"HARBORAI_METRICS_ADDR":   "nonsense",
		"HARBORAI_LOG_LEVEL":      "loud",
		"HARBORAI_NATS_URL":       "localhost",
		"HARBORAI_MEMORY_LIMIT":   "1000",
	}
	_, err := ingestor.Load(nil, env(bad), io.Discard)
	if err == nil {
		t.Fatal("Load() = nil, want an error")
	}
	for name := range bad {
		if n := strings.Count(err.Error(), name); n != 1 {
			t.Errorf("Load() error names %s %d times, want once:\n%v", name, n, err)
		}
	}
}

func TestLoadRejectsBadFlags(t *testing.T) {
	if _, err := ingestor.Load([]string{"-no-such-flag"}, env(nil), io.Discard); err == nil {
		t.Error("Load(-no-such-flag) = nil, want an error")
	}
	if _, err := ingestor.Load([]string{"extra"}, env(nil), io.Discard); err == nil {
		t.Error("Load(extra) = nil, want an error")
	}
}

func TestApplyMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	log := slog.New(slog.DiscardHandler)
	none := func(string) (string, bool) { return "", false }

	cfg := ingestor.DefaultConfig()
	ingestor.ApplyMemoryLimit(cfg, none, log)
	if got, want := debug.SetMemoryLimit(-1), int64(184<<20+1000*5*8<<10); got != want || want != ingestor.AutoMemoryLimit(cfg) {
		t.Fatalf("default: memory limit %d, want %d (auto for batch 1000, 2 writers)", got, want)
	}
	big := cfg
	big.BatchSize = 4000
	if got, want := ingestor.AutoMemoryLimit(big), int64(184<<20+4000*5*8<<10); got != want {
		t.Fatalf("auto limit for batch 4000 = %d, want %d", got, want)
	}
	debug.SetMemoryLimit(before)
	ingestor.ApplyMemoryLimit(cfg, func(k string) (string, bool) { return "1GiB", k == "GOMEMLIMIT" }, log)
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Fatalf("with GOMEMLIMIT set: memory limit changed to %d, want it left at %d", got, before)
	}
	cfg.MemoryLimit = 0
	ingestor.ApplyMemoryLimit(cfg, none, log)
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Fatalf("HARBORAI_MEMORY_LIMIT=0: memory limit changed to %d, want it left at %d", got, before)
	}
}

// TestHelpMasksPassword: -h prints the PostgreSQL URL from the environment
// as the flag's default without its password; the value used keeps it.
func TestHelpMasksPassword(t *testing.T) {
	const url = "postgres://ingest:s3cret@db.internal:5432/harborai"
	lookup := func(k string) (string, bool) {
		switch k {
		case "HARBORAI_POSTGRES_URL":
			return url, true
		case "HARBORAI_NATS_URL":
			return "nats://ingest:n4ts-s3cret@nats.internal:4222", true
		}
		return "", false
	}
	var help strings.Builder
	if _, err := ingestor.Load([]string{"-h"}, lookup, &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Load(-h) = %v, want flag.ErrHelp", err)
	}
	if strings.Contains(help.String(), "s3cret") || !strings.Contains(help.String(), "postgres://ingest:xxxxx@db.internal:5432/harborai") ||
		!strings.Contains(help.String(), "nats://ingest:xxxxx@nats.internal:4222") {
		t.Errorf("-h shows the password, or not the masked URL:\n%s", help.String())
	}
	cfg, err := ingestor.Load(nil, lookup, io.Discard)
	if err != nil || cfg.PostgresURL != url {
		t.Fatalf("Load() = %q, %v; want the URL with its password", cfg.PostgresURL, err)
	}
}

// TestBadFlagIsOneLine: a bad flag value is one error naming the flag, not
// the error followed by the whole list of settings.
func TestBadFlagIsOneLine(t *testing.T) {
	var out strings.Builder
	_, err := ingestor.Load([]string{"-flush-interval", "garbage"}, env(nil), &out)
	if err == nil || !strings.Contains(err.Error(), "-flush-interval") || strings.Contains(err.Error(), "\n") {
		t.Errorf("Load(-flush-interval garbage) = %v, want one line naming the flag", err)
	}
	if out.Len() != 0 {
		t.Errorf("Load printed %d bytes besides the error:\n%s", out.Len(), out.String())
	}
}
