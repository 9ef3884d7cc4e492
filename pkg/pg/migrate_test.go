package pg

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/harborai/ingest/migrations"
)

func pool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	p, err := NewPool(t.Context(), Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func embeddedNames(t *testing.T) []string {
	t.Helper()
	ms, err := loadMigrations(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range ms {
		names = append(names, m.name)
	}
	return names
}

func TestMigrateFromEmptyAndAgain(t *testing.T) {
	t.Parallel()
	p := pool(t, newDB(t))
	want := embeddedNames(t)

	got, err := Migrate(t.Context(), p)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Migrate() on an empty database = %v, %v, want %v", got, err, want)
	}
	got, err = Migrate(t.Context(), p)
	if err != nil || len(got) != 0 {
		t.Fatalf("Migrate() again = %v, %v, want nothing applied", got, err)
	}
	states, err := MigrationStatus(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != len(want) {
		t.Fatalf("MigrationStatus() = %d migrations, want %d", len(states), len(want))
	}
	for i, s := range states {
		if s.Name != want[i] || !s.Applied || s.Mismatch || s.Unknown || s.AppliedAt.IsZero() || len(s.Checksum) != 64 {
			t.Errorf("MigrationStatus()[%d] = %+v, want %s applied, same checksum", i, s, want[i])
		}
	}
	// The objects are there.
	for _, rel := range []string{"calls", "api_logs", "token_usage", "cost_info", "tracing_info",
		"performance_metrics", "harborai_settings", "quarantine", "consistency_audit", "harborai_heartbeat"} {
		var ok bool
		if err := p.QueryRow(t.Context(), "SELECT to_regclass($1) IS NOT NULL", rel).Scan(&ok); err != nil || !ok {
			t.Errorf("relation %s exists = %v, %v", rel, ok, err)
		}
	}
}

func TestMigrationStatusOnEmptyDatabase(t *testing.T) {
	t.Parallel()
	p := pool(t, newDB(t))
	states, err := MigrationStatus(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		if s.Applied {
			t.Errorf("MigrationStatus() on an empty database: %s applied", s.Name)
		}
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	url := newDB(t)
	const migrators = 4
	pools := make([]*pgxpool.Pool, migrators)
	for i := range pools {
		pools[i] = pool(t, url)
	}
	var wg sync.WaitGroup
	applied := make([][]string, migrators)
	errs := make([]error, migrators)
	for i := range migrators {
		wg.Go(func() { applied[i], errs[i] = Migrate(t.Context(), pools[i]) })
	}
	wg.Wait()
	var all []string
	for i := range migrators {
		if errs[i] != nil {
			t.Fatalf("migrator %d: %v", i, errs[i])
		}
		all = append(all, applied[i]...)
	}
	slices.Sort(all)
	if want := embeddedNames(t); !slices.Equal(all, want) {
		t.Fatalf("migrations applied by %d concurrent migrators = %v, want each of %v once", migrators, all, want)
	}
	var n int
	if err := pools[0].QueryRow(t.Context(), "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != len(all) {
		t.Fatalf("schema_migrations rows = %d, %v, want %d", n, err, len(all))
	}
}

// A migrator waits for the one holding the lock however long it takes:
// longer than the session's statement timeout (another migrator may spend
// minutes on a big table).
func TestMigrateWaitsLongerThanStatementTimeout(t *testing.T) {
	t.Parallel()
	url := newDB(t)
	holder := pool(t, url)
	conn, err := holder.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(t.Context(), "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		t.Fatal(err)
	}
	const held = 1500 * time.Millisecond
	released := make(chan error, 1)
	go func() {
		time.Sleep(held)
		_, err := conn.Exec(context.WithoutCancel(t.Context()), "SELECT pg_advisory_unlock($1)", migrationLockKey)
		released <- err
	}()
	p, err := NewPool(t.Context(), Config{URL: url, StatementTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	start := time.Now()
	applied, err := Migrate(t.Context(), p)
	if err != nil {
		t.Fatalf("Migrate while another session held the lock %v (statement timeout 300ms) = %v, want it to wait", held, err)
	}
	if err := <-released; err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < held-100*time.Millisecond {
		t.Fatalf("Migrate returned after %v, before the lock was released (%v)", waited, held)
	}
	if want := embeddedNames(t); !slices.Equal(applied, want) {
		t.Fatalf("applied %v, want %v", applied, want)
	}
}

func TestMigrateChecksumAndFailure(t *testing.T) {
	t.Parallel()
	p := pool(t, newDB(t))
	fsys := fstest.MapFS{
		"0001_a.sql": {Data: []byte("CREATE TABLE a (x int);")},
		"0002_b.sql": {Data: []byte("CREATE TABLE b (x int); INSERT INTO nope VALUES (1);")},
	}
	got, err := migrate(t.Context(), p, fsys)
	if err == nil || !strings.Contains(err.Error(), "0002_b") || !slices.Equal(got, []string{"0001_a"}) {
		t.Fatalf("migrate() with a failing 0002_b = %v, %v, want 0001_a applied and an error naming 0002_b", got, err)
	}
	var b bool
	if err := p.QueryRow(t.Context(), "SELECT to_regclass('b') IS NOT NULL").Scan(&b); err != nil || b {
		t.Fatalf("table b after the failed migration exists = %v, %v, want rolled back", b, err)
	}

	fsys["0002_b.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE b (x int);")}
	if got, err := migrate(t.Context(), p, fsys); err != nil || !slices.Equal(got, []string{"0002_b"}) {
		t.Fatalf("migrate() after the fix = %v, %v, want [0002_b]", got, err)
	}

	fsys["0001_a.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE a (x bigint);")}
	fsys["0003_c.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE c (x int);")}
	got, err = migrate(t.Context(), p, fsys)
	if !errors.Is(err, ErrChecksumMismatch) || !strings.Contains(err.Error(), "0001_a") || len(got) != 0 {
		t.Fatalf("migrate() with 0001_a edited = %v, %v, want ErrChecksumMismatch naming 0001_a and nothing applied", got, err)
	}
	states, err := migrationStatus(t.Context(), p, fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 3 || !states[0].Mismatch || states[1].Mismatch || states[2].Applied {
		t.Fatalf("migrationStatus() = %+v, want 0001 mismatched, 0002 applied, 0003 pending", states)
	}
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
	}{
		{name: "no version", fsys: fstest.MapFS{"calls.sql": {}}},
		{name: "duplicate version", fsys: fstest.MapFS{"0001_a.sql": {}, "1_b.sql": {}}},
		{name: "empty", fsys: fstest.MapFS{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := loadMigrations(tt.fsys); err == nil {
				t.Fatalf("loadMigrations(%v) = nil error, want one", tt.fsys)
			}
		})
	}
}
