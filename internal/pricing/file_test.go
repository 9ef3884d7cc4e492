package pricing

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// sameEntry compares entries by value: decimals by value, times by instant.
func sameEntry(a, b Entry) bool { return entryKey(a) == entryKey(b) }

func entryKey(e Entry) string {
	d := func(p *decimal.Decimal) string {
		if p == nil {
			return "nil"
		}
		return p.String()
	}
	return fmt.Sprintf("%d %s/%s %s %d in=%s cached=%s write=%s out=%s from=%s removed=%t note=%q set=%s",
		e.ID, e.Provider, e.Model, e.Currency, e.Unit, d(e.Input), d(e.CachedInput), d(e.CacheWrite), d(e.Output),
		e.EffectiveFrom.UTC().Format(time.RFC3339Nano), e.Removed, e.Note, e.SetAt.UTC().Format(time.RFC3339Nano))
}

// TestFileStoreRoundTrip: entries come back as appended, with IDs in order;
// the file is mode 0600 (even when it was wider), replaced atomically (no
// temporary file left), and another store over the same file reads the
// same history.
func TestFileStoreRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // created by the first Append
	path := filepath.Join(dir, FileName)
	st := NewFileStore(path)
	hist, err := st.History(t.Context(), "", "")
	if err != nil || len(hist) != 0 {
		t.Fatalf("History() of a missing file = %v, %v, want none", hist, err)
	}
	in := []Entry{
		price(0, "deepseek", "deepseek-chat", "0.001", "0.002", day("2026-01-01")),
		tombstone(0, "deepseek", "deepseek-chat", day("2026-02-01")),
		price(0, "openai", "gpt-4o", "0.0025", "0.01", day("2026-01-15")),
	}
	in[0].CachedInput, in[0].Note = dec("0.0001"), "促销价"
	in[2].Currency, in[2].CacheWrite = "USD", dec("0.003125")
	var stored []Entry
	for i, e := range in {
		got, err := st.Append(t.Context(), e)
		if err != nil {
			t.Fatalf("Append(%d) = %v", i, err)
		}
		if got.ID != int64(i+1) || got.SetAt.IsZero() {
			t.Errorf("Append(%d) = id %d, set_at %v, want id %d and a set time", i, got.ID, got.SetAt, i+1)
		}
		stored = append(stored, got)
		if i == 0 { // widen the file: the next append must narrow it again
			if err := os.Chmod(path, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("price file mode = %v, want 0600", fi.Mode().Perm())
	}
	if m, _ := filepath.Glob(filepath.Join(dir, FileName+".tmp-*")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
	for _, tc := range []struct {
		name, provider, model string
		want                  []Entry
	}{
		{"all", "", "", stored},
		{"one provider", "DeepSeek", "", stored[:2]},
		{"one model", "openai", "gpt-4o", stored[2:]},
		{"none", "qwen", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NewFileStore(path).History(t.Context(), tc.provider, tc.model)
			if err != nil {
				t.Fatalf("History() = %v", err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("History(%q, %q) = %d entries, want %d", tc.provider, tc.model, len(got), len(tc.want))
			}
			for i := range got {
				if !sameEntry(got[i], tc.want[i]) {
					t.Errorf("History()[%d] = %s, want %s", i, entryKey(got[i]), entryKey(tc.want[i]))
				}
			}
		})
	}
}

func TestFileStoreRejects(t *testing.T) {
	for _, tc := range []struct {
		name    string
		content string
	}{
		{"not JSON", "{"},
		{"unknown field", `{"version": 1, "prices": [], "extra": true}`},
		{"another version", `{"version": 2, "prices": []}`},
		{"repeated id", `{"version": 1, "prices": [
			{"id": 1, "provider": "a", "model": "b", "effective_from": "2026-01-01T00:00:00Z", "removed": true, "set_at": "2026-01-01T00:00:00Z"},
			{"id": 1, "provider": "a", "model": "b", "effective_from": "2026-01-02T00:00:00Z", "removed": true, "set_at": "2026-01-01T00:00:00Z"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			st := NewFileStore(path)
			if _, err := st.History(t.Context(), "", ""); !errors.Is(err, ErrCorruptStore) {
				t.Errorf("History() = %v, want ErrCorruptStore", err)
			}
			if _, err := st.Append(t.Context(), price(0, "a", "b", "1", "1", day("2026-01-01"))); !errors.Is(err, ErrCorruptStore) {
				t.Errorf("Append() = %v, want ErrCorruptStore", err)
			}
		})
	}
	st := NewFileStore(filepath.Join(t.TempDir(), FileName))
	bad := price(0, "deepseek", "", "-1", "1", day("2026-01-01"))
	if _, err := st.Append(t.Context(), bad); err == nil {
		t.Error("Append(invalid entry) = nil error, want one")
	}
}

// TestFileStoreConcurrentAppends: appends from many goroutines (each its
// own store, as separate harborctl processes would be) lose nothing.
func TestFileStoreConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			e := price(0, "deepseek", "deepseek-chat", fmt.Sprintf("0.%03d", i+1), "1", day("2026-01-01").Add(time.Duration(i)*time.Hour))
			if _, err := NewFileStore(path).Append(t.Context(), e); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Append() = %v", err)
	}
	hist, err := NewFileStore(path).History(t.Context(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int64]bool{}
	for _, e := range hist {
		ids[e.ID] = true
	}
	if len(hist) != n || len(ids) != n {
		t.Errorf("History() = %d entries with %d distinct ids, want %d", len(hist), len(ids), n)
	}
}
