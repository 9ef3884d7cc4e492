package pg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/harborai/ingest/pkg/record"
)

// stagingReady marks, in a connection's custom data, that the connection
// is ready to write (prepareConn).
const stagingReady = "harborai.staging"

// Writer writes batches of calls to PostgreSQL: the calls that look new by
// one binary COPY straight into calls, the others (or all, when one of
// those was known) by binary COPY into a staging table and one INSERT ...
// ON CONFLICT that merges each call into its row, in one transaction.
// Writes are idempotent and order-independent. It is safe for concurrent
// use.
type Writer struct {
	pool *pgxpool.Pool
	cfg  Config
	log  *slog.Logger

	inserted, merged, refused atomic.Int64 // see WriteCounts

	// A batch PostgreSQL cannot write within the statement timeout (large
	// bodies, a slow disk) is written in parts: at most perStatement calls
	// per statement until smallUntil (unix nanoseconds), then whole again.
	perStatement, smallUntil atomic.Int64
}

// smallFor is how long writes stay in parts after a statement timeout.
const smallFor = time.Minute

// WriteCounts counts the calls a writer committed by each path.
type WriteCounts struct {
	Inserted int64 // copied straight into calls
	Merged   int64 // copied into the staging table and merged
	// Refused counts the calls of direct copies that PostgreSQL refused
	// (one of them was there already), then merged: each cost a copy.
	Refused int64
}

// Counts returns what the writer has committed so far, by path.
func (w *Writer) Counts() WriteCounts {
	return WriteCounts{Inserted: w.inserted.Load(), Merged: w.merged.Load(), Refused: w.refused.Load()}
}

// NewWriter returns a writer over a new pool. It does not connect (see
// NewPool): a writer can be created while PostgreSQL is away. log may be
// nil.
func NewWriter(ctx context.Context, cfg Config, log *slog.Logger) (*Writer, error) {
	cfg = cfg.withDefaults()
	pool, err := NewPool(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cc := pool.Config().ConnConfig
	log.Info("postgres writer created", "host", cc.Host, "port", cc.Port, "database", cc.Database,
		"max_conns", cfg.MaxConns, "write_timeout", cfg.WriteTimeout)
	return &Writer{pool: pool, cfg: cfg, log: log}, nil
}

// Pool returns the writer's pool, for Migrate, Prune and NewStore.
func (w *Writer) Pool() *pgxpool.Pool { return w.pool }

// Close closes the pool, waiting for the connections in use to be
// released. It is idempotent.
func (w *Writer) Close() error {
	w.pool.Close()
	return nil
}

// Ping checks that a connection answers, within the probe timeout.
func (w *Writer) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.ProbeTimeout)
	defer cancel()
	if err := w.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// Probe checks that PostgreSQL accepts writes, within the probe timeout:
// it upserts the heartbeat row. A down, frozen, read-only or full server,
// or missing migrations, fail it.
func (w *Writer) Probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.ProbeTimeout)
	defer cancel()
	_, err := w.pool.Exec(ctx, `INSERT INTO harborai_heartbeat (id, at) VALUES (1, now())
		ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at`)
	if err != nil {
		return fmt.Errorf("probe postgres: %w", err)
	}
	return nil
}

// Write stores calls: fragments of the same call are merged first
// (record.Merge), then each call is merged into its row by the rule of
// record.Merge, so writing any fragments in any order, any number of times,
// gives the same rows. When Write returns nil, all of the batch is
// committed; after an error, some of it may be (the new calls, copied
// first), and writing the batch again completes it.
//
// When PostgreSQL rejects some calls as data (see IsRetryable), or a value
// does not fit its column (ErrUnstorable), the batch is split to find them,
// the others are written, and Write returns a *PoisonError naming the
// rejected calls. Any other error is retryable: the batch may be written
// again as a whole. Each write is bounded by the write timeout.
func (w *Writer) Write(ctx context.Context, calls []record.Call) error {
	if len(calls) == 0 {
		return nil
	}
	var poison PoisonError
	batch := mergeBatch(calls)
	// Rows in call id order, cleaned as stored (PostgreSQL's order for
	// these "C" collated ids): every write, direct copy and merge alike,
	// locks rows in that one order, so concurrent writes cannot deadlock,
	// whatever order the caller gives.
	slices.SortFunc(batch, func(a, b record.Call) int { return strings.Compare(a.CallID, b.CallID) })
	rows := getRows()
	defer putRows(rows)
	rows.buf = slices.Grow(rows.buf, rowsSize(batch))
	n := 0
	for _, c := range batch {
		if err := rows.add(&c); err != nil {
			poison.add(c, err)
			continue
		}
		batch[n] = c
		n++
	}
	batch = batch[:n]
	for lo := 0; lo < len(batch); {
		n := w.callsPerStatement(len(batch) - lo)
		rejected := len(poison.Calls)
		err := w.writeOrSplit(ctx, batch[lo:lo+n], rows, lo, &poison)
		if err != nil && n > 1 && ctx.Err() == nil && w.tooSlow(ctx, err) {
			// Too long for one statement: halves might not be. What
			// was committed stays (writes are idempotent); the calls
			// found rejected are found again.
			poison.Calls, poison.Errs = poison.Calls[:rejected], poison.Errs[:rejected]
			w.writeInParts(n / 2)
			w.log.Warn("batch write took longer than the statement or write timeout, writing in parts", "calls", n, "calls_per_statement", n/2, "err", err)
			continue
		}
		if err != nil {
			return fmt.Errorf("write batch of %d calls: %w", len(batch), err)
		}
		lo += n
	}
	if len(poison.Calls) > 0 {
		return &poison
	}
	return nil
}

// tooSlow reports whether err says a write took too long for its size:
// PostgreSQL's statement timeout, or the writer's own write timeout while
// the server still answers (a server that does not answer fails any write,
// whatever its size).
func (w *Writer) tooSlow(ctx context.Context, err error) bool {
	if IsStatementTimeout(err) {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) && w.Ping(ctx) == nil
}

// callsPerStatement is how many of n calls to write at once.
func (w *Writer) callsPerStatement(n int) int {
	if time.Now().UnixNano() >= w.smallUntil.Load() {
		return n
	}
	return min(n, int(w.perStatement.Load()))
}

// writeInParts makes the writes of the next smallFor go in parts of at
// most n calls.
func (w *Writer) writeInParts(n int) {
	w.perStatement.Store(int64(max(n, 1)))
	w.smallUntil.Store(time.Now().Add(smallFor).UnixNano())
}

// rowsSize estimates the bytes of batch's COPY rows: its bodies and raw
// usage, and 1 KiB for each row's other columns (ids, times, counts,
// costs, and each value's length word). Growing the buffer to it at once
// spares regrowing it, a pooled buffer's first time or after the collector
// emptied the pool.
func rowsSize(batch []record.Call) int {
	n := 0
	for i := range batch {
		c := &batch[i]
		n += 1024 + len(c.Tags.Metadata)*32
		if c.RequestBody != nil {
			n += len(*c.RequestBody)
		}
		if c.ResponseBody != nil {
			n += len(*c.ResponseBody)
		}
		if c.Usage != nil {
			n += len(c.Usage.Raw)
		}
	}
	return n
}

// mergeBatch merges the fragments of each call, keeping the calls in the
// order of their first fragment. Call ids are cleaned as the rows are, so
// two ids that would be stored alike are one call.
func mergeBatch(calls []record.Call) []record.Call {
	return record.MergeBatch(calls, cleanText)
}

// writeOrSplit writes calls, rows first to first+len(calls)-1; on a
// permanent error it halves them until the rejected calls are alone,
// recording those in poison. A retryable error stops it: what was
// committed stays (writes are idempotent).
func (w *Writer) writeOrSplit(ctx context.Context, calls []record.Call, rows *copyRows, first int, poison *PoisonError) error {
	if len(calls) == 0 {
		return nil
	}
	err := w.writeRows(ctx, rows, first, first+len(calls))
	if err == nil || IsRetryable(err) {
		return err
	}
	if len(calls) == 1 {
		poison.add(calls[0], err)
		return nil
	}
	mid := len(calls) / 2
	if err := w.writeOrSplit(ctx, calls[:mid], rows, first, poison); err != nil {
		return err
	}
	return w.writeOrSplit(ctx, calls[mid:], rows, first+mid, poison)
}

// Which rows a COPY sends, by their kind (copyRows.kinds): the rows the
// direct copy of this write committed are never sent again.
var (
	unstoredRows = func(k rowKind) bool { return k != rowStored }
	freshRows    = func(k rowKind) bool { return k == rowFresh }
)

// writeRows writes rows lo to hi-1. The rows of calls that have their
// request (a call's first event: normally the call is new) are first
// copied straight into calls, in a transaction of their own: the cost of a
// plain COPY. Should any of them exist already (a response that came
// first, an event delivered again, a replay) or be refused, nothing of
// that copy is kept and they are merged with the others: every row is then
// copied into the staging table and merged into calls by upsertSQL, in one
// transaction. Either way the rows end as the merge rule makes them; a
// failure after the direct copy leaves its calls stored, and writing the
// batch again merges them (writes are idempotent).
func (w *Writer) writeRows(ctx context.Context, rows *copyRows, lo, hi int) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.WriteTimeout)
	defer cancel()
	conn, err := w.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	// Outside the transaction: a rollback must not take the table away.
	if err := prepareConn(ctx, conn.Conn()); err != nil {
		return err
	}
	if fresh := rows.count(lo, hi, freshRows); fresh > 0 {
		ok, err := w.insertFresh(ctx, conn.Conn().PgConn(), rows, lo, hi)
		if err != nil {
			return err
		}
		if !ok {
			w.refused.Add(int64(fresh))
		} else {
			// Committed: should the merge fail and the rows be written
			// again in parts, these are not sent (nor counted) again.
			rows.stored(lo, hi)
			w.inserted.Add(int64(fresh))
		}
	}
	if rows.count(lo, hi, unstoredRows) == 0 {
		return nil
	}
	var merged int
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		r, n := rows.reader(lo, hi, unstoredRows)
		merged = n
		_, err := tx.Conn().PgConn().CopyFrom(ctx, r, copyStagingSQL)
		_ = r.Close() // before the rows are reused (rowsReader)
		if err != nil {
			return fmt.Errorf("copy into staging: %w", err)
		}
		if _, err := tx.Exec(ctx, upsertSQL); err != nil {
			return fmt.Errorf("merge into calls: %w", err)
		}
		return nil
	})
	if err == nil {
		w.merged.Add(int64(merged))
	}
	return err
}

// insertFresh copies the fresh rows among lo to hi-1 straight into calls,
// outside any transaction: the COPY commits alone. It reports whether they
// were inserted; when PostgreSQL refused them as data (a call already
// there is a unique violation), nothing was kept and they are left for the
// merge. Other errors (the server, the connection, a timeout) are
// returned.
func (w *Writer) insertFresh(ctx context.Context, conn *pgconn.PgConn, rows *copyRows, lo, hi int) (bool, error) {
	r, n := rows.reader(lo, hi, freshRows)
	_, err := conn.CopyFrom(ctx, r, copyCallsSQL)
	_ = r.Close() // before the rows are reused (rowsReader)
	switch {
	case err == nil:
		return true, nil
	case IsRetryable(err):
		return false, fmt.Errorf("copy into calls: %w", err)
	}
	w.log.Debug("direct insert refused, merging the batch", "calls", n, "err", err)
	return false, nil
}

// compressLikeCallsSQL makes the session compress as calls compresses its
// bodies (lz4 since migration 0006, where the server has it), so the staging
// table does too: a compressed value the merge moves from staging into calls
// is kept as it is, never compressed again, and would otherwise stay pglz.
const compressLikeCallsSQL = `SELECT set_config('default_toast_compression',
	(SELECT CASE attcompression WHEN 'l' THEN 'lz4' WHEN 'p' THEN 'pglz'
	 ELSE current_setting('default_toast_compression') END
	 FROM pg_attribute WHERE attrelid = 'calls'::regclass AND attname = 'response_body'), false)`

// prepareConn readies a connection the first time it writes: it sets the
// session's compression, creates the staging table and prepares a statement
// over each table the writer copies into. The statements are never executed; holding
// them in the session is what matters: measured, the backend then spends
// less CPU on each COPY of rows that go to TOAST (21-26% less in
// BenchmarkSessionStatement). pgx's own CopyFrom keeps such a statement in
// its statement cache, which is why a plain CopyFrom does not pay it.
func prepareConn(ctx context.Context, conn *pgx.Conn) error {
	data := conn.PgConn().CustomData()
	if data[stagingReady] != nil {
		return nil
	}
	if _, err := conn.Exec(ctx, compressLikeCallsSQL); err != nil {
		return fmt.Errorf("staging compression: %w", err)
	}
	if _, err := conn.Exec(ctx, stagingDDL); err != nil {
		return fmt.Errorf("create staging table: %w", err)
	}
	for name, table := range map[string]string{"harborai_calls": "calls", "harborai_staging": stagingTable} {
		if _, err := conn.Prepare(ctx, name, "SELECT "+columnList+" FROM "+table); err != nil {
			return fmt.Errorf("prepare over %s: %w", table, err)
		}
	}
	data[stagingReady] = true
	return nil
}
