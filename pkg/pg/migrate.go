package pg

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/harborai/ingest/migrations"
)

// migrationLockKey is the pg_advisory_lock key that serialises migrators.
const migrationLockKey int64 = 0x48624d6967726174 // "HbMigrat"

// MigrationState is one migration as known to this binary and the database.
type MigrationState struct {
	Version   int64
	Name      string    // file name without ".sql"
	Checksum  string    // sha256 of the file, hex; the database's when Unknown
	Applied   bool      // recorded in schema_migrations
	AppliedAt time.Time // when Applied
	// Mismatch: applied from a file whose checksum differs from this
	// binary's (the file was edited after it was applied).
	Mismatch bool
	// Unknown: applied, but this binary has no such file (a newer binary
	// migrated the database).
	Unknown bool
}

type migration struct {
	version  int64
	name     string
	checksum string
	sql      string
}

// Migrate applies the embedded migrations not yet applied, in version
// order, each in its own transaction, and returns their names. It holds a
// session advisory lock meanwhile, so concurrent migrators apply each
// migration once; running it again applies nothing. An applied migration
// whose file changed is an error naming it (ErrChecksumMismatch), and
// nothing is applied then. Migrations may take long on big tables, so only
// ctx bounds Migrate (each statement keeps the session's lock_timeout).
func Migrate(ctx context.Context, pool *pgxpool.Pool) (applied []string, err error) {
	return migrate(ctx, pool, migrations.FS)
}

// MigrationStatus returns every migration of this binary and of the
// database, in version order. It is bounded by the default query timeout.
func MigrationStatus(ctx context.Context, pool *pgxpool.Pool) ([]MigrationState, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultConfig().QueryTimeout)
	defer cancel()
	return migrationStatus(ctx, pool, migrations.FS)
}

func migrate(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) (applied []string, err error) {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return nil, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: acquire connection: %w", err)
	}
	defer conn.Release()
	if err := lockMigrations(ctx, conn.Conn()); err != nil {
		return nil, err
	}
	defer unlockMigrations(ctx, conn.Conn())

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    bigint PRIMARY KEY,
		name       text NOT NULL,
		checksum   text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	done, err := appliedMigrations(ctx, conn.Conn())
	if err != nil {
		return nil, err
	}
	var pending []migration
	for _, m := range ms {
		a, ok := done[m.version]
		switch {
		case !ok:
			pending = append(pending, m)
		case a.Checksum != m.checksum:
			return nil, fmt.Errorf("migrate: %s: %w (checksum applied %s, file %s)", m.name, ErrChecksumMismatch, a.Checksum, m.checksum)
		}
	}
	for _, m := range pending {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// A migration may take long on a big table; the caller's
			// context bounds it. lock_timeout stays: a migration must not
			// queue behind a long lock while blocking every writer.
			if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
				m.version, m.name, m.checksum)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migrate: apply %s: %w", m.name, err)
		}
		applied = append(applied, m.name)
	}
	return applied, nil
}

// lockMigrations takes the session advisory lock, waiting for another
// migrator as long as ctx allows: the session's lock and statement
// timeouts are lifted for this wait (another migrator may spend minutes on
// a big table).
func lockMigrations(ctx context.Context, conn *pgx.Conn) error {
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = 0; SET LOCAL statement_timeout = 0"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey)
		return err
	})
	if err != nil {
		return fmt.Errorf("migrate: take the migration lock: %w", err)
	}
	return nil
}

// unlockMigrations releases the lock; when it cannot, it closes the
// connection, which releases it too.
func unlockMigrations(ctx context.Context, conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", migrationLockKey); err != nil {
		_ = conn.Close(ctx)
	}
}

func appliedMigrations(ctx context.Context, conn *pgx.Conn) (map[int64]MigrationState, error) {
	rows, err := conn.Query(ctx, "SELECT version, name, checksum, applied_at FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	done := map[int64]MigrationState{}
	var s MigrationState
	_, err = pgx.ForEachRow(rows, []any{&s.Version, &s.Name, &s.Checksum, &s.AppliedAt}, func() error {
		s.Applied, s.AppliedAt = true, s.AppliedAt.UTC()
		done[s.Version] = s
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return done, nil
}

func migrationStatus(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) ([]MigrationState, error) {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return nil, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: acquire connection: %w", err)
	}
	defer conn.Release()
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	done := map[int64]MigrationState{}
	if exists {
		if done, err = appliedMigrations(ctx, conn.Conn()); err != nil {
			return nil, fmt.Errorf("migration status: %w", err)
		}
	}
	var out []MigrationState
	for _, m := range ms {
		s := MigrationState{Version: m.version, Name: m.name, Checksum: m.checksum}
		if a, ok := done[m.version]; ok {
			s.Applied, s.AppliedAt, s.Mismatch = true, a.AppliedAt, a.Checksum != m.checksum
			delete(done, m.version)
		}
		out = append(out, s)
	}
	for _, a := range done {
		a.Unknown = true
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// loadMigrations reads the VERSION_NAME.sql files at the root of fsys.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	seen := map[int64]string{}
	var ms []migration
	for _, file := range names {
		name := strings.TrimSuffix(path.Base(file), ".sql")
		prefix, _, _ := strings.Cut(name, "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version number and _", file)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s: same version %d", other, file, v)
		}
		seen[v] = file
		b, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", file, err)
		}
		sum := sha256.Sum256(b)
		ms = append(ms, migration{version: v, name: name, checksum: hex.EncodeToString(sum[:]), sql: string(b)})
	}
	if len(ms) == 0 {
		return nil, errors.New("no migrations found")
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}
