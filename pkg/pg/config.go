package pg

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Config is what an operator sets for the PostgreSQL connection. Zero
// durations and MaxConns take the defaults of DefaultConfig.
type Config struct {
	// URL is a libpq URL or key=value string (HARBORAI_POSTGRES_URL).
	URL string
	// MaxConns bounds the pool (default 4).
	MaxConns int32
	// ConnectTimeout bounds each connection attempt (default 5s).
	ConnectTimeout time.Duration
	// StatementTimeout and LockTimeout are set on every session, so the
	// server ends a statement that runs or waits too long (defaults 10s, 3s).
	StatementTimeout time.Duration
	LockTimeout      time.Duration
	// WriteTimeout bounds one batch write, connection included (default
	// 15s): a frozen server cannot hold a write longer.
	WriteTimeout time.Duration
	// ProbeTimeout bounds Ping and Probe (default 2s).
	ProbeTimeout time.Duration
	// QueryTimeout bounds each query of a Store and each batch of Prune
	// (default 30s).
	QueryTimeout time.Duration
}

// DefaultConfig returns the defaults, without a URL.
func DefaultConfig() Config {
	return Config{
		MaxConns:         4,
		ConnectTimeout:   5 * time.Second,
		StatementTimeout: 10 * time.Second,
		LockTimeout:      3 * time.Second,
		WriteTimeout:     15 * time.Second,
		ProbeTimeout:     2 * time.Second,
		QueryTimeout:     30 * time.Second,
	}
}

// withDefaults fills the zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxConns == 0 {
		c.MaxConns = d.MaxConns
	}
	for _, f := range []struct{ v, def *time.Duration }{
		{&c.ConnectTimeout, &d.ConnectTimeout},
		{&c.StatementTimeout, &d.StatementTimeout},
		{&c.LockTimeout, &d.LockTimeout},
		{&c.WriteTimeout, &d.WriteTimeout},
		{&c.ProbeTimeout, &d.ProbeTimeout},
		{&c.QueryTimeout, &d.QueryTimeout},
	} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	return c
}

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("postgres url: required"))
	} else if _, err := pgxpool.ParseConfig(c.URL); err != nil {
		errs = append(errs, fmt.Errorf("postgres url: %w", err))
	}
	if c.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("postgres max conns: %d is negative", c.MaxConns))
	}
	for _, f := range []struct {
		name string
		v    time.Duration
	}{
		{"connect timeout", c.ConnectTimeout},
		{"statement timeout", c.StatementTimeout},
		{"lock timeout", c.LockTimeout},
		{"write timeout", c.WriteTimeout},
		{"probe timeout", c.ProbeTimeout},
		{"query timeout", c.QueryTimeout},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("postgres %s: %v is negative", f.name, f.v))
		}
	}
	return errors.Join(errs...)
}

// urlSets reports whether the URL's startup parameters set the setting
// name: as a parameter of its own, in any case (TimeZone), or in options
// as libpq writes them ("-c name=value", "-cname=value", "--name=value").
func urlSets(params map[string]string, name string) bool {
	for k := range params {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	fields := strings.Fields(params["options"])
	for i, f := range fields {
		switch {
		case f == "-c" && i+1 < len(fields):
			f = fields[i+1]
		case strings.HasPrefix(f, "-c"):
			f = f[2:]
		case strings.HasPrefix(f, "--"):
			f = f[2:]
		default:
			continue
		}
		if k, _, ok := strings.Cut(f, "="); ok && strings.EqualFold(strings.ReplaceAll(k, "-", "_"), name) {
			return true
		}
	}
	return false
}

// NewPool returns a connection pool configured from cfg: connect timeout,
// and statement_timeout and lock_timeout on every session (unless the URL
// sets them, as a parameter or in options). It does not connect: the first use does, so a process can
// start while PostgreSQL is away.
func NewPool(ctx context.Context, cfg Config) (*pgxpool.Pool, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres url: %w", err)
	}
	pc.MaxConns = cfg.MaxConns
	pc.MinConns = 0
	cc := pc.ConnConfig
	cc.ConnectTimeout = cfg.ConnectTimeout
	params := map[string]string{
		"statement_timeout": strconv.FormatInt(cfg.StatementTimeout.Milliseconds(), 10),
		"lock_timeout":      strconv.FormatInt(cfg.LockTimeout.Milliseconds(), 10),
		"application_name":  "harborai-ingest",
		"timezone":          "UTC",
	}
	for k, v := range params {
		if !urlSets(cc.RuntimeParams, k) {
			cc.RuntimeParams[k] = v
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres pool: %w", err)
	}
	return pool, nil
}
