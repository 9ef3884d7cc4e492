package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/harborai/ingest/pkg/pg"
)

// Pool opens a pool on url, closed at cleanup.
func Pool(tb testing.TB, url string) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		tb.Fatalf("pgxpool.New() = %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// Migrated opens a pool on url and applies the schema.
func Migrated(tb testing.TB, url string) *pgxpool.Pool {
	tb.Helper()
	pool := Pool(tb, url)
	if _, err := pg.Migrate(context.Background(), pool); err != nil {
		tb.Fatalf("pg.Migrate() = %v", err)
	}
	return pool
}

// Counts are what a run left in the calls table.
type Counts struct {
	Rows     int64 `json:"rows"`
	Distinct int64 `json:"distinct"` // distinct call ids
	Complete int64 `json:"complete"` // with both their request and response
}

// Count counts the calls whose id starts with prefix ("" = all).
func Count(ctx context.Context, pool *pgxpool.Pool, prefix string) (Counts, error) {
	var c Counts
	err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT call_id),
		count(*) FILTER (WHERE request_event_id IS NOT NULL AND response_event_id IS NOT NULL)
		FROM calls WHERE call_id LIKE $1`, prefix+"%").Scan(&c.Rows, &c.Distinct, &c.Complete)
	if err != nil {
		return c, fmt.Errorf("count calls: %w", err)
	}
	return c, nil
}

// WaitComplete polls every interval until want calls with the prefix are
// complete, and returns when it saw them so.
func WaitComplete(ctx context.Context, pool *pgxpool.Pool, prefix string, want int64, interval time.Duration) (time.Time, Counts, error) {
	for {
		c, err := Count(ctx, pool, prefix)
		if err == nil && c.Complete >= want {
			return time.Now(), c, nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return time.Time{}, c, fmt.Errorf("wait for %d complete calls: %w (have %+v; last error: %w)", want, ctx.Err(), c, err)
			}
			return time.Time{}, c, fmt.Errorf("wait for %d complete calls: %w (have %+v)", want, ctx.Err(), c)
		case <-time.After(interval):
		}
	}
}

// Columns returns the columns of calls that a writer fills (all but the
// ingested_at and updated_at defaults), in table order, and which of them
// are jsonb.
func Columns(ctx context.Context, pool *pgxpool.Pool) (cols []string, jsonb map[string]bool, err error) {
	rows, err := pool.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'calls'
		  AND column_name NOT IN ('ingested_at', 'updated_at')
		ORDER BY ordinal_position`)
	if err != nil {
		return nil, nil, fmt.Errorf("columns of calls: %w", err)
	}
	jsonb = map[string]bool{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, nil, err
		}
		cols = append(cols, name)
		jsonb[name] = typ == "jsonb"
	}
	return cols, jsonb, rows.Err()
}

// ExportRows reads back the rows a run stored, as the values a writer
// would give pgx's CopyFrom (jsonb as its text): "the same prepared rows"
// for the CopyFrom baseline.
func ExportRows(ctx context.Context, pool *pgxpool.Pool) ([]string, [][]any, error) {
	cols, jsonb, err := Columns(ctx, pool)
	if err != nil {
		return nil, nil, err
	}
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = c
		if jsonb[c] {
			exprs[i] = c + "::text"
		}
	}
	rows, err := pool.Query(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM calls ORDER BY started_at, call_id")
	if err != nil {
		return nil, nil, fmt.Errorf("export rows: %w", err)
	}
	var out [][]any
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return nil, nil, fmt.Errorf("export rows: %w", err)
		}
		out = append(out, v)
	}
	return cols, out, rows.Err()
}

// ExportCSV writes the stored rows to path as CSV, in the order of cols:
// the "equivalent file" of the psql \copy baseline.
func ExportCSV(ctx context.Context, pool *pgxpool.Pool, cols []string, path string) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	sql := "COPY (SELECT " + strings.Join(cols, ", ") + " FROM calls ORDER BY started_at, call_id) TO STDOUT WITH (FORMAT csv)"
	if _, err := conn.Conn().PgConn().CopyTo(ctx, w, sql); err != nil {
		return 0, fmt.Errorf("export csv: %w", err)
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), f.Close()
}

// CopyRows copies rows into calls with pgx's CopyFrom, chunk rows per
// COPY (each its own transaction), on one connection.
func CopyRows(ctx context.Context, pool *pgxpool.Pool, cols []string, rows [][]any, chunk int) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	for i := 0; i < len(rows); i += chunk {
		part := rows[i:min(i+chunk, len(rows))]
		if _, err := conn.Conn().CopyFrom(ctx, pgx.Identifier{"calls"}, cols, pgx.CopyFromRows(part)); err != nil {
			return fmt.Errorf("copy rows %d..%d: %w", i, i+len(part), err)
		}
	}
	return nil
}

// ServerVersion returns PostgreSQL's server_version.
func ServerVersion(ctx context.Context, pool *pgxpool.Pool) string {
	var v string
	_ = pool.QueryRow(ctx, "SHOW server_version").Scan(&v)
	return v
}

// Maintenance says how large calls is, and when autovacuum last vacuumed
// and analyzed it, and how often, for telling its work apart from a load's.
func Maintenance(ctx context.Context, pool *pgxpool.Pool) string {
	var vac, an *time.Time
	var nv, na, size int64
	err := pool.QueryRow(ctx, `SELECT last_autovacuum, last_autoanalyze, autovacuum_count, autoanalyze_count,
		pg_total_relation_size('calls') FROM pg_stat_user_tables WHERE relname = 'calls'`).Scan(&vac, &an, &nv, &na, &size)
	if err != nil {
		return err.Error()
	}
	at := func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return t.UTC().Format("15:04:05.000")
	}
	return fmt.Sprintf("calls %d MiB with indexes and TOAST; autovacuum %d (last %s), autoanalyze %d (last %s)", size>>20, nv, at(vac), na, at(an))
}

// IO is a snapshot of the cluster's WAL and buffer-write counters
// (pg_stat_wal, pg_stat_bgwriter), for telling a load's I/O apart from
// another's: Sub of two snapshots is what happened between them.
type IO struct {
	WALBytes, WALRecords, WALWrites          int64
	BuffersBackend, BuffersClean, BuffersCkp int64
	// LSN is the WAL insert position (pg_current_wal_lsn), for WALRecords.
	LSN string
}

// ReadIO reads the counters.
func ReadIO(ctx context.Context, pool *pgxpool.Pool) (IO, error) {
	var s IO
	err := pool.QueryRow(ctx, `SELECT w.wal_bytes::int8, w.wal_records, w.wal_write,
		b.buffers_backend, b.buffers_clean, b.buffers_checkpoint, pg_current_wal_lsn()::text
		FROM pg_stat_wal w, pg_stat_bgwriter b`).Scan(&s.WALBytes, &s.WALRecords, &s.WALWrites,
		&s.BuffersBackend, &s.BuffersClean, &s.BuffersCkp, &s.LSN)
	return s, err
}

// WALRecords is the WAL written between two snapshots by record type
// (pg_walinspect's pg_get_wal_stats), the largest n by bytes, as
// "resource/record count bytes (fpi bytes)" items.
func WALRecords(ctx context.Context, pool *pgxpool.Pool, from, to IO, n int) string {
	if _, err := pool.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_walinspect"); err != nil {
		return err.Error()
	}
	rows, err := pool.Query(ctx, `SELECT "resource_manager/record_type", count, record_size + fpi_size, fpi_size
		FROM pg_get_wal_stats($1::pg_lsn, $2::pg_lsn, true) WHERE count > 0
		ORDER BY record_size + fpi_size DESC LIMIT $3`, from.LSN, to.LSN, n)
	if err != nil {
		return err.Error()
	}
	var items []string
	for rows.Next() {
		var (
			name              string
			count, size, fpis int64
		)
		if err := rows.Scan(&name, &count, &size, &fpis); err != nil {
			return err.Error()
		}
		items = append(items, fmt.Sprintf("%s %d %d KiB (fpi %d KiB)", name, count, size>>10, fpis>>10))
	}
	if err := rows.Err(); err != nil {
		return err.Error()
	}
	return "WAL by record: " + strings.Join(items, ", ")
}

// Sub returns s - o.
func (s IO) Sub(o IO) IO {
	return IO{s.WALBytes - o.WALBytes, s.WALRecords - o.WALRecords, s.WALWrites - o.WALWrites,
		s.BuffersBackend - o.BuffersBackend, s.BuffersClean - o.BuffersClean, s.BuffersCkp - o.BuffersCkp, s.LSN}
}

func (s IO) String() string {
	return fmt.Sprintf("WAL %d MiB in %d records, %d writes; buffers written by backends %d, bgwriter %d, checkpointer %d",
		s.WALBytes>>20, s.WALRecords, s.WALWrites, s.BuffersBackend, s.BuffersClean, s.BuffersCkp)
}
