package pricing

import (
	"strings"
	"testing"
	"time"

	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/pg"
)

// migrated returns a writer over a fresh, migrated database of the test's
// private PostgreSQL.
func migrated(t *testing.T) *pg.Writer {
	t.Helper()
	w, err := pg.NewWriter(t.Context(), pg.Config{URL: pgtest.Start(t).NewDB(t)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	if _, err := pg.Migrate(t.Context(), w.Pool()); err != nil {
		t.Fatalf("Migrate() = %v", err)
	}
	return w
}

func appendAll(t *testing.T, st Store, entries ...Entry) []Entry {
	t.Helper()
	out := make([]Entry, len(entries))
	for i, e := range entries {
		var err error
		if out[i], err = st.Append(t.Context(), e); err != nil {
			t.Fatalf("Append(%s/%s) = %v", e.Provider, e.Model, err)
		}
	}
	return out
}

// TestPostgresStoreHistory: set -> history -> show picks the newest
// effective price, over PostgreSQL.
func TestPostgresStoreHistory(t *testing.T) {
	w := migrated(t)
	st := NewPostgresStore(w.Pool())
	jan, feb, mar := day("2026-01-01"), day("2026-02-01"), day("2026-03-01")
	older := price(0, "deepseek", "deepseek-chat", "0.001", "0.002", jan)
	older.CachedInput, older.Note = dec("0.0001"), "first"
	set := appendAll(t, st,
		older,
		price(0, "deepseek", "deepseek-chat", "0.004", "0.008", feb),
		price(0, "deepseek", "deepseek-chat", "0.009", "0.009", mar.Add(24*time.Hour*365)), // scheduled
		price(0, "openai", "gpt-4o", "0.0025", "0.01", jan),
		tombstone(0, "openai", "gpt-4o", feb),
	)
	for i, e := range set {
		if e.ID <= 0 || e.SetAt.IsZero() || (i > 0 && e.ID <= set[i-1].ID) {
			t.Errorf("Append()[%d] = id %d, set_at %v, want increasing ids and a set time", i, e.ID, e.SetAt)
		}
	}
	hist, err := st.History(t.Context(), "DeepSeek", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 {
		t.Fatalf("History(deepseek) = %d entries, want 3", len(hist))
	}
	for i := range hist {
		want := set[i]
		if !sameEntry(hist[i], want) {
			t.Errorf("History()[%d] = %s, want %s", i, entryKey(hist[i]), entryKey(want))
		}
	}
	all, err := st.History(t.Context(), "", "")
	if err != nil || len(all) != 5 {
		t.Fatalf("History() = %d entries, %v, want 5", len(all), err)
	}
	st1 := Statuses(all, mar)
	if st1[set[0].ID] != StatusPast || st1[set[1].ID] != StatusCurrent || st1[set[2].ID] != StatusScheduled || st1[set[4].ID] != StatusCurrent {
		t.Errorf("Statuses() = %v, want past, current, scheduled, _, current", st1)
	}
	x, err := Sources{Entries: all, Table: testTable()}.Explain("deepseek", "deepseek-chat", mar)
	if err != nil {
		t.Fatal(err)
	}
	if x.Winner != cost.SourceDynamic || x.Price.Input.String() != "0.004" || !strings.HasPrefix(x.Candidates[0].Origin, set[1].Origin()+" ") {
		t.Errorf("Explain(deepseek-chat, %s) = %s %v from %q, want dynamic 0.004 from %s", mar.Format(time.DateOnly), x.Winner, x.Price.Input, x.Candidates[0].Origin, set[1].Origin())
	}
	x, err = Sources{Entries: all, Table: testTable()}.Explain("openai", "gpt-4o", mar)
	if err != nil || x.Winner != cost.SourceDefaultConfig {
		t.Errorf("Explain(gpt-4o after unset) = %s, %v, want default_config", x.Winner, err)
	}
}

func TestOpenChoosesTheStore(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(t.Context(), "", dir)
	if err != nil || st.Source() != "file "+dir+"/"+FileName {
		t.Errorf("Open(no url) = %v, %v, want the file store in %s", st, err, dir)
	}
	st, err = Open(t.Context(), "postgres://127.0.0.1:1/none", dir)
	if err != nil || st.Source() != "postgres" {
		t.Fatalf("Open(url) = %v, %v, want the postgres store", st, err)
	}
	_ = st.Close()
}
