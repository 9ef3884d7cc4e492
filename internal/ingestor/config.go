package ingestor

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/harborai/ingest/internal/cli"
)

// Config is what an operator sets. Every field has a flag and an
// environment variable, listed in docs/configuration.md.
type Config struct {
	NATSURL         string        // external NATS; "" = run the embedded server
	NATSListen      string        // the embedded server's client address
	NATSSync        string        // embedded file store fsync: a duration or "always"
	DataDir         string        // JetStream store, spool and quarantine
	PostgresURL     string        // "" = the spool is the store
	Migrate         bool          // apply the schema migrations at start
	PruneInterval   time.Duration // how often retention runs (0 = never; PostgreSQL only)
	RetainBodies    time.Duration // clear bodies older than this (0 = keep)
	RetainErrors    time.Duration // delete error calls the vendor did not bill (no tokens, no cost) older than this (0 = keep)
	RetainCalls     time.Duration // delete calls older than this (0 = keep)
	MetricsAddr     string        // "" = no HTTP endpoint
	Pprof           bool          // serve /debug/pprof/ on MetricsAddr
	Environment     string        // tags calls that do not carry one
	StreamMaxBytes  int64         // JetStream stream bound (publishes fail past it)
	MaxEventBytes   int           // larger events are rejected
	MemoryLimit     int64         // Go runtime soft memory limit in bytes (0 = none, -1 = auto); see ApplyMemoryLimit
	BatchSize       int           // events per batch write
	Writers         int           // batches written at once
	FlushInterval   time.Duration // how long a partial batch waits
	ShutdownTimeout time.Duration // bound on the final flush at shutdown
	KeepBodies      bool          // store request and response bodies
	LogLevel        string        // debug, info, warn, error
	LogFormat       string        // text or json
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		NATSListen:      "127.0.0.1:4222",
		NATSSync:        "1s",
		DataDir:         "./harborai-data",
		StreamMaxBytes:  4 << 30,
		MaxEventBytes:   8 << 20,
		MemoryLimit:     -1,
		BatchSize:       1000,
		Writers:         2,
		FlushInterval:   50 * time.Millisecond,
		ShutdownTimeout: 10 * time.Second,
		KeepBodies:      true,
		Migrate:         true,
		PruneInterval:   time.Hour,
		RetainBodies:    30 * 24 * time.Hour,
		RetainErrors:    90 * 24 * time.Hour,
		RetainCalls:     365 * 24 * time.Hour,
		LogLevel:        "info",
		LogFormat:       "text",
	}
}

// Validate reports every invalid setting at once, naming each.
func (c Config) Validate() error {
	var errs []error
	if c.NATSURL == "" {
		if _, _, err := net.SplitHostPort(c.NATSListen); err != nil && c.NATSListen != "-1" {
			errs = append(errs, fmt.Errorf("HARBORAI_NATS_LISTEN %q: want host:port: %w", c.NATSListen, err))
		}
	} else if !strings.Contains(c.NATSURL, "://") {
		errs = append(errs, fmt.Errorf("HARBORAI_NATS_URL %q: want a URL such as nats://host:4222", c.NATSURL))
	}
	if _, _, err := c.syncPolicy(); err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		errs = append(errs, errors.New("HARBORAI_DATA_DIR: must not be empty"))
	}
	if c.PostgresURL != "" && !strings.HasPrefix(c.PostgresURL, "postgres://") && !strings.HasPrefix(c.PostgresURL, "postgresql://") && !strings.Contains(c.PostgresURL, "=") {
		errs = append(errs, errors.New("HARBORAI_POSTGRES_URL: want a libpq URL (postgres://...) or key=value string"))
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("HARBORAI_METRICS_ADDR %q: want host:port: %w", c.MetricsAddr, err))
		}
	}
	if c.BatchSize < 1 || c.BatchSize > 10000 {
		errs = append(errs, fmt.Errorf("HARBORAI_BATCH_SIZE %d: want 1..10000", c.BatchSize))
	}
	if c.Writers < 1 || c.Writers > 64 {
		errs = append(errs, fmt.Errorf("HARBORAI_WRITERS %d: want 1..64", c.Writers))
	}
	if c.FlushInterval <= 0 {
		errs = append(errs, fmt.Errorf("HARBORAI_FLUSH_INTERVAL %s: must be positive", c.FlushInterval))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("HARBORAI_SHUTDOWN_TIMEOUT %s: must be positive", c.ShutdownTimeout))
	}
	if c.StreamMaxBytes < 0 {
		errs = append(errs, fmt.Errorf("HARBORAI_STREAM_MAX_BYTES %d: must be >= 0 (0 = unlimited)", c.StreamMaxBytes))
	}
	if c.MemoryLimit != 0 && c.MemoryLimit != -1 && c.MemoryLimit < 32<<20 {
		errs = append(errs, fmt.Errorf("HARBORAI_MEMORY_LIMIT %d: want -1 (auto), 0 (none) or at least 33554432 (32 MiB)", c.MemoryLimit))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"HARBORAI_PRUNE_INTERVAL", c.PruneInterval}, {"HARBORAI_RETAIN_BODIES", c.RetainBodies}, {"HARBORAI_RETAIN_ERRORS", c.RetainErrors}, {"HARBORAI_RETAIN_CALLS", c.RetainCalls}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s %s: must be >= 0 (0 = off)", d.name, d.v))
		}
	}
	if c.MaxEventBytes < 1024 || c.MaxEventBytes > 64<<20 {
		errs = append(errs, fmt.Errorf("HARBORAI_MAX_EVENT_BYTES %d: want 1024..67108864", c.MaxEventBytes))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("HARBORAI_LOG_LEVEL %q: want debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("HARBORAI_LOG_FORMAT %q: want text or json", c.LogFormat))
	}
	return errors.Join(errs...)
}

// syncPolicy parses NATSSync.
func (c Config) syncPolicy() (interval time.Duration, always bool, err error) {
	if c.NATSSync == "always" {
		return 0, true, nil
	}
	d, err := time.ParseDuration(c.NATSSync)
	if err != nil || d <= 0 {
		return 0, false, fmt.Errorf("HARBORAI_NATS_SYNC %q: want a positive duration (e.g. 1s) or \"always\"", c.NATSSync)
	}
	return d, false, nil
}

// Load reads the configuration from args (flags) over lookup (the
// environment) over the defaults, and validates it.
func Load(args []string, lookup func(string) (string, bool), stderr io.Writer) (Config, error) {
	c := DefaultConfig()
	fs := flag.NewFlagSet("ingestor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var envErrs []error
	str := func(p *string, name, env, usage string) {
		if v, ok := lookup(env); ok {
			*p = v
		}
		fs.StringVar(p, name, *p, usage+" ($"+env+")")
	}
	num := func(p *int, name, env, usage string) {
		if v, ok := lookup(env); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				envErrs = append(envErrs, fmt.Errorf("%s %q: not an integer", env, v))
			} else {
				*p = n // a bad value is reported once, not checked again
			}
		}
		fs.IntVar(p, name, *p, usage+" ($"+env+")")
	}
	num64 := func(p *int64, name, env, usage string) {
		if v, ok := lookup(env); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				envErrs = append(envErrs, fmt.Errorf("%s %q: not an integer", env, v))
			} else {
				*p = n
			}
		}
		fs.Int64Var(p, name, *p, usage+" ($"+env+")")
	}
	dur := func(p *time.Duration, name, env, usage string) {
		if v, ok := lookup(env); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				envErrs = append(envErrs, fmt.Errorf("%s %q: not a duration (e.g. 50ms)", env, v))
			} else {
				*p = d
			}
		}
		fs.DurationVar(p, name, *p, usage+" ($"+env+")")
	}
	boolean := func(p *bool, name, env, usage string) {
		if v, ok := lookup(env); ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				envErrs = append(envErrs, fmt.Errorf("%s %q: want true or false", env, v))
			} else {
				*p = b
			}
		}
		fs.BoolVar(p, name, *p, usage+" ($"+env+")")
	}
	str(&c.NATSURL, "nats-url", "HARBORAI_NATS_URL", "external NATS server; unset runs the embedded server")
	cli.MaskDefault(fs, "nats-url") // a NATS URL may carry user:password
	str(&c.NATSListen, "nats-listen", "HARBORAI_NATS_LISTEN", "embedded NATS client address")
	str(&c.NATSSync, "nats-sync", "HARBORAI_NATS_SYNC", "embedded JetStream fsync interval, or \"always\"")
	str(&c.DataDir, "data-dir", "HARBORAI_DATA_DIR", "JetStream store, spool and quarantine directory")
	str(&c.PostgresURL, "postgres-url", "HARBORAI_POSTGRES_URL", "PostgreSQL URL; unset stores calls in the spool")
	cli.MaskDefault(fs, "postgres-url") // -h must not print the password
	str(&c.MetricsAddr, "metrics-addr", "HARBORAI_METRICS_ADDR", "address of /metrics, /healthz and /readyz; unset = none")
	boolean(&c.Pprof, "pprof", "HARBORAI_PPROF", "also serve Go's profiles at /debug/pprof/ on the metrics address")
	str(&c.Environment, "environment", "HARBORAI_ENVIRONMENT", "environment tag for calls that carry none")
	num64(&c.StreamMaxBytes, "stream-max-bytes", "HARBORAI_STREAM_MAX_BYTES", "JetStream stream size bound in bytes (0 = unlimited)")
	num64(&c.MemoryLimit, "memory-limit", "HARBORAI_MEMORY_LIMIT", "Go runtime soft memory limit in bytes (-1 = auto from the batch size and writers, 0 = none; GOMEMLIMIT, when set, wins)")
	num(&c.MaxEventBytes, "max-event-bytes", "HARBORAI_MAX_EVENT_BYTES", "largest event accepted")
	num(&c.BatchSize, "batch-size", "HARBORAI_BATCH_SIZE", "events per batch write")
	num(&c.Writers, "writers", "HARBORAI_WRITERS", "batches written at once")
	dur(&c.FlushInterval, "flush-interval", "HARBORAI_FLUSH_INTERVAL", "longest wait of a partial batch")
	dur(&c.ShutdownTimeout, "shutdown-timeout", "HARBORAI_SHUTDOWN_TIMEOUT", "bound on the final flush at shutdown")
	boolean(&c.Migrate, "migrate", "HARBORAI_MIGRATE", "apply the PostgreSQL schema migrations at start")
	dur(&c.PruneInterval, "prune-interval", "HARBORAI_PRUNE_INTERVAL", "how often retention runs in PostgreSQL (0 = never)")
	dur(&c.RetainBodies, "retain-bodies", "HARBORAI_RETAIN_BODIES", "clear request/response bodies older than this (0 = keep)")
	dur(&c.RetainErrors, "retain-errors", "HARBORAI_RETAIN_ERRORS", "delete error calls the vendor did not bill (no tokens, no cost) older than this (0 = keep)")
	dur(&c.RetainCalls, "retain-calls", "HARBORAI_RETAIN_CALLS", "delete calls older than this (0 = keep)")
	boolean(&c.KeepBodies, "keep-bodies", "HARBORAI_KEEP_BODIES", "store request and response bodies")
	str(&c.LogLevel, "log-level", "HARBORAI_LOG_LEVEL", "debug, info, warn or error")
	str(&c.LogFormat, "log-format", "HARBORAI_LOG_FORMAT", "text or json")
	// The flag package prints a bad flag's error and then the whole usage:
	// a bad flag gets one line (the caller prints it), -h the usage.
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return c, err
	case err != nil:
		return c, fmt.Errorf("%w (ingestor -h lists the settings)", err)
	}
	if fs.NArg() > 0 {
		envErrs = append(envErrs, fmt.Errorf("unexpected arguments: %q", fs.Args()))
	}
	if err := errors.Join(append(envErrs, c.Validate())...); err != nil {
		return c, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

// maxPayload is the broker's message limit: at least 8 MiB, so an event
// larger than MaxEventBytes still reaches the ingestor and is quarantined
// with a counted reason rather than failing at the publisher.
func (c Config) maxPayload() int32 {
	return int32(max(c.MaxEventBytes, 8<<20))
}
