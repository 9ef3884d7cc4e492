package pricing

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/cost"
)

func TestRefreshInterval(t *testing.T) {
	for _, tc := range []struct {
		name  string
		env   map[string]string
		want  time.Duration
		isErr bool
	}{
		{name: "unset", want: DefaultRefresh},
		{name: "empty", env: map[string]string{EnvRefresh: " "}, want: DefaultRefresh},
		{name: "disabled", env: map[string]string{EnvRefresh: "0"}, want: 0},
		{name: "a duration", env: map[string]string{EnvRefresh: "30s"}, want: 30 * time.Second},
		{name: "not a duration", env: map[string]string{EnvRefresh: "often"}, isErr: true},
		{name: "negative", env: map[string]string{EnvRefresh: "-1m"}, isErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := RefreshInterval(env(tc.env))
			if (err != nil) != tc.isErr || got != tc.want {
				t.Errorf("RefreshInterval(%v) = %v, %v, want %v (error %v)", tc.env, got, err, tc.want, tc.isErr)
			}
		})
	}
}

// TestLiveRefresh: a Live pricer prices with the other sources until it
// loads the entries, and with a new price once Refresh sees it.
func TestLiveRefresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	st := NewFileStore(path)
	l, err := NewLive(st, cost.Options{Table: testTable()}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := day("2026-02-01")
	source := func() string { return l.Cost("deepseek", "deepseek-chat", at, usage(1000, 500), nil).PricingSource }
	if err := l.Start(t.Context()); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	if got := source(); got != cost.SourceDefaultConfig {
		t.Fatalf("source before any price = %s, want default_config", got)
	}
	if _, err := st.Append(t.Context(), price(0, "deepseek", "deepseek-chat", "0.001", "0.002", day("2026-01-01"))); err != nil {
		t.Fatal(err)
	}
	if got := source(); got != cost.SourceDefaultConfig {
		t.Fatalf("source before Refresh = %s, want default_config (the pricer in use stays)", got)
	}
	if err := l.Refresh(t.Context()); err != nil {
		t.Fatalf("Refresh() = %v", err)
	}
	if got := costText(l.Cost("deepseek", "deepseek-chat", at, usage(1000, 500), nil)); got != "0.001+0.001=0.002 CNY dynamic" {
		t.Fatalf("cost after Refresh = %s, want 0.001+0.001=0.002 CNY dynamic", got)
	}

	// A corrupt file stops start-up; a later corruption keeps the prices in use.
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := l.Refresh(t.Context()); !errors.Is(err, ErrCorruptStore) {
		t.Fatalf("Refresh() of a corrupt file = %v, want ErrCorruptStore", err)
	}
	if got := source(); got != cost.SourceDynamic {
		t.Errorf("source after a failed Refresh = %s, want dynamic (kept)", got)
	}
	l2, err := NewLive(st, cost.Options{Table: testTable()}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.Start(t.Context()); !errors.Is(err, ErrCorruptStore) {
		t.Errorf("Start() over a corrupt file = %v, want ErrCorruptStore", err)
	}
}

// flakyStore fails History until up is set.
type flakyStore struct {
	Store
	up    atomic.Bool
	calls atomic.Int64
}

func (s *flakyStore) History(ctx context.Context, provider, model string) ([]Entry, error) {
	s.calls.Add(1)
	if !s.up.Load() {
		return nil, errors.New("connection refused")
	}
	return s.Store.History(ctx, provider, model)
}

// TestLiveStartsWithoutTheStore: a store that cannot be read at start-up
// does not stop it; Run keeps trying and loads the prices once it answers,
// and stops with its context.
func TestLiveStartsWithoutTheStore(t *testing.T) {
	file := NewFileStore(filepath.Join(t.TempDir(), FileName))
	if _, err := file.Append(t.Context(), price(0, "deepseek", "deepseek-chat", "0.001", "0.002", day("2026-01-01"))); err != nil {
		t.Fatal(err)
	}
	st := &flakyStore{Store: file}
	l, err := NewLive(st, cost.Options{Table: testTable()}, 10*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Start(t.Context()); err != nil {
		t.Fatalf("Start() with the store down = %v, want nil (logged)", err)
	}
	source := func() string {
		return l.Cost("deepseek", "deepseek-chat", day("2026-02-01"), usage(1, 1), nil).PricingSource
	}
	if got := source(); got != cost.SourceDefaultConfig {
		t.Fatalf("source with the store down = %s, want default_config", got)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { l.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	// Bounded polls: Run retries every 10ms.
	waitUntil(t, "a retry while the store is down", func() bool { return st.calls.Load() >= 3 })
	st.up.Store(true)
	waitUntil(t, "the dynamic price to load", func() bool { return source() == cost.SourceDynamic })
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
