package pg

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/harborai/ingest/pkg/record"
)

// TestStatsUnprepared checks, on a one-connection pool, that the statistics
// give the same figures past the fifth run (where a prepared statement may
// switch to a generic plan), leave no prepared statement behind and do not
// change the session's jit setting.
func TestStatsUnprepared(t *testing.T) {
	t.Parallel()
	w, _ := setup(t, Config{})
	write(t, w, fullCall("a"), record.Call{CallID: "b", Provider: "openai", Model: "gpt-4o",
		StartedAt: at("2025-01-16T23:59:59Z"), RequestEventID: "r-b"})
	pc, err := pgxpool.ParseConfig(w.Pool().Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	pc.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(t.Context(), pc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s := NewStore(pool, Config{})
	f := StatsFilter{Since: at("2025-01-01T00:00:00Z"), GroupBy: GroupByDay}

	first, err := s.Stats(t.Context(), f)
	if err != nil || len(first) == 0 {
		t.Fatalf("Stats(%+v) = %v, %v; want rows", f, first, err)
	}
	want := fmt.Sprintf("%+v", first)
	for run := 2; run <= 8; run++ {
		got, err := s.Stats(t.Context(), f)
		if err != nil {
			t.Fatalf("run %d: Stats(%+v) = %v", run, f, err)
		}
		if g := fmt.Sprintf("%+v", got); g != want {
			t.Fatalf("run %d: Stats(%+v) =\n %s\nwant\n %s", run, f, g, want)
		}
	}
	var statements int
	var jit string
	// Unprepared itself, so that it is not one of the statements it counts.
	if err := pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM pg_prepared_statements
		WHERE statement LIKE '%FROM calls%GROUP BY%'), current_setting('jit')`, pgx.QueryExecModeSimpleProtocol).Scan(&statements, &jit); err != nil {
		t.Fatal(err)
	}
	if statements != 0 || jit != "on" {
		t.Errorf("after Stats: %d prepared statistics statements, jit %q; want 0, \"on\"", statements, jit)
	}
}
