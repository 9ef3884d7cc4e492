package pricing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/parse"
)

// EnvRefresh names the variable setting how often the ingestor reloads the
// dynamic prices: a duration; 0 loads them at start-up only.
const EnvRefresh = "HARBORAI_PRICING_REFRESH"

// Default refresh intervals: every minute, and while the store cannot be
// read (PostgreSQL away), every few seconds until it can.
const (
	DefaultRefresh = time.Minute
	retryRefresh   = 5 * time.Second
)

// RefreshInterval reads EnvRefresh through lookup: DefaultRefresh when
// unset or empty, 0 to disable, else a positive duration.
func RefreshInterval(lookup func(string) (string, bool)) (time.Duration, error) {
	v, ok := "", false
	if lookup != nil {
		v, ok = lookup(EnvRefresh)
	}
	if !ok || strings.TrimSpace(v) == "" {
		return DefaultRefresh, nil
	}
	if strings.TrimSpace(v) == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s %q: want a duration such as 1m, or 0 to load the dynamic prices at start-up only", EnvRefresh, v)
	}
	return d, nil
}

// Live is the ingestor's pricer: a Pricer over the store's entries that
// Refresh replaces atomically, so calls being priced never wait for the
// store. It is safe for concurrent use.
type Live struct {
	store Store
	opts  cost.Options
	every time.Duration
	log   *slog.Logger
	owned bool // Close closes the store

	cur    atomic.Pointer[Pricer]
	mu     sync.Mutex // serialises Refresh
	loaded bool       // the entries were read at least once
	last   string     // fingerprint of the entries in use
	failed string     // the last refresh error, logged once
}

// NewLive returns a Live pricer with no dynamic prices yet: it validates
// opts (the price variables and the table) but reads nothing from store.
// every is the refresh interval of Run (0: none after the first load). log
// may be nil.
func NewLive(store Store, opts cost.Options, every time.Duration, log *slog.Logger) (*Live, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p, err := NewPricer(opts, nil)
	if err != nil {
		return nil, err
	}
	l := &Live{store: store, opts: opts, every: every, log: log}
	l.cur.Store(p)
	return l, nil
}

// LiveConfig configures the ingestor's pricer (see OpenLive).
type LiveConfig struct {
	PostgresURL string // "" = the price file under DataDir
	DataDir     string
	// Lookup reads the price variables and EnvRefresh (os.LookupEnv in
	// main); Environ lists the environment's names (os.Environ).
	Lookup  func(string) (string, bool)
	Environ []string
	Logger  *slog.Logger // nil discards
}

// OpenLive opens the price store of c (PostgreSQL or the file; neither is
// read yet) and returns the pricer over it. It fails on an invalid price
// variable or EnvRefresh value. Start loads the dynamic prices, Run
// refreshes them, Close closes the store.
func OpenLive(ctx context.Context, c LiveConfig) (*Live, error) {
	every, err := RefreshInterval(c.Lookup)
	if err != nil {
		return nil, err
	}
	store, err := Open(ctx, c.PostgresURL, c.DataDir)
	if err != nil {
		return nil, err
	}
	l, err := NewLive(store, cost.Options{Lookup: c.Lookup, Environ: c.Environ}, every, c.Logger)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	l.owned = true
	return l, nil
}

// Close closes the store when OpenLive opened it (closing a pool or a file
// store has nothing to report).
func (l *Live) Close() {
	if l.owned {
		_ = l.store.Close()
	}
}

// Cost prices a call with the prices of the last successful refresh.
func (l *Live) Cost(provider, model string, t time.Time, u parse.Usage, custom *event.CustomPricing) cost.Info {
	return l.cur.Load().Cost(provider, model, t, u, custom)
}

// Refresh reads the entries and, when they changed, swaps in a pricer over
// them. On error the pricer in use stays.
func (l *Live) Refresh(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	entries, err := l.store.History(ctx, "", "")
	if err != nil {
		return fmt.Errorf("read dynamic prices (%s): %w", l.store.Source(), err)
	}
	fp := fingerprint(entries)
	if l.loaded && fp != "" && fp == l.last {
		return nil
	}
	p, err := NewPricer(l.opts, entries)
	if err != nil {
		return fmt.Errorf("dynamic prices (%s): %w", l.store.Source(), err)
	}
	l.cur.Store(p)
	l.loaded, l.last = true, fp
	l.log.Info("dynamic prices loaded", "store", l.store.Source(), "entries", len(entries))
	return nil
}

// Start loads the entries at start-up. It fails only when they are invalid
// (a corrupt price file, an invalid price): an operator must fix that. A
// store that cannot be read now (PostgreSQL away, the schema not migrated
// yet) is logged, and calls are priced by the other sources until Run
// loads the entries.
func (l *Live) Start(ctx context.Context) error {
	err := l.Refresh(ctx)
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrCorruptStore) || errors.Is(err, cost.ErrInvalidPrice) {
		return err
	}
	l.log.Warn("dynamic prices not loaded yet: calls are priced by the other sources until they are", "err", err)
	l.failed = err.Error()
	return nil
}

// Run refreshes the entries every interval until ctx is done; until the
// first successful load it retries every few seconds, even when the
// interval is 0. Failures are logged (once until the store answers again)
// and the prices in use stay.
func (l *Live) Run(ctx context.Context) {
	for {
		l.mu.Lock()
		wait := l.every
		if !l.loaded {
			wait = min(retryRefresh, cmpNonZero(l.every, retryRefresh))
		}
		l.mu.Unlock()
		if wait <= 0 {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		err := l.Refresh(ctx)
		switch {
		case err == nil && l.failed != "":
			l.log.Info("dynamic prices readable again", "store", l.store.Source())
			l.failed = ""
		case err != nil && ctx.Err() == nil && err.Error() != l.failed:
			l.log.Warn("refresh dynamic prices; keeping the prices in use", "err", err)
			l.failed = err.Error()
		}
	}
}

// cmpNonZero returns d, or def when d is 0.
func cmpNonZero(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// fingerprint identifies a set of entries (a hash of their JSON form), so
// that an unchanged history is not rebuilt nor logged again.
func fingerprint(entries []Entry) string {
	b, err := json.Marshal(entries)
	if err != nil { // cannot happen: strings, numbers, decimals and times
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
