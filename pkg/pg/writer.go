package pg

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/harborai/ingest/pkg/record"
)

// stagingReady marks, in a connection's custom data, that the connection
// has its staging table.
const stagingReady = "harborai.staging"

// Writer writes batches of calls to PostgreSQL in one transaction each:
// the calls that look new by binary COPY straight into calls, the others
// (or all, when one of those was known) by binary COPY into a staging
// table and one INSERT ... ON CONFLICT that merges each call into its row. Writes are idempotent and order-independent.
// It is safe for concurrent use.
type Writer struct {
	pool *pgxpool.Pool
	cfg  Config
	log  *slog.Logger

	inserted, merged, refused atomic.Int64 // see WriteCounts
}

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
// gives the same rows. All of the batch is committed, or none of it.
//
// When PostgreSQL rejects some calls as data (see IsRetryable), the batch
// is split to find them, the others are written, and Write returns a
// *PoisonError naming the rejected calls. Any other error is retryable: the
// batch may be written again as a whole. Each transaction is bounded by the
// write timeout.
func (w *Writer) Write(ctx context.Context, calls []record.Call) error {
	if len(calls) == 0 {
		return nil
	}
	var poison PoisonError
	batch := mergeBatch(calls)
	rows := make([][]any, 0, len(batch))
	n := 0
	for _, c := range batch {
		if err := checkCall(&c); err != nil {
			poison.add(c, err)
			continue
		}
		batch[n] = c
		rows = append(rows, callRow(&c))
		n++
	}
	batch = batch[:n]
	if err := w.writeOrSplit(ctx, batch, rows, &poison); err != nil {
		return fmt.Errorf("write batch of %d calls: %w", len(batch), err)
	}
	if len(poison.Calls) > 0 {
		return &poison
	}
	return nil
}

// mergeBatch merges the fragments of each call, keeping the calls in the
// order of their first fragment. Call ids are cleaned as callRow does, so
// two ids that would be stored alike are one call.
func mergeBatch(calls []record.Call) []record.Call {
	return record.MergeBatch(calls, cleanText)
}

// writeOrSplit writes rows; on a permanent error it halves them until the
// rejected calls are alone, recording those in poison. A retryable error
// stops it: what was committed stays (writes are idempotent).
func (w *Writer) writeOrSplit(ctx context.Context, calls []record.Call, rows [][]any, poison *PoisonError) error {
	if len(rows) == 0 {
		return nil
	}
	err := w.writeRows(ctx, rows)
	if err == nil || IsRetryable(err) {
		return err
	}
	if len(rows) == 1 {
		poison.add(calls[0], err)
		return nil
	}
	mid := len(rows) / 2
	if err := w.writeOrSplit(ctx, calls[:mid], rows[:mid], poison); err != nil {
		return err
	}
	return w.writeOrSplit(ctx, calls[mid:], rows[mid:], poison)
}

// writeRows writes rows in one transaction. The rows of calls that have
// their request (a call's first event: normally the call is new) are first
// copied straight into calls, under a savepoint: the cost of a plain COPY.
// Should any of them exist already (a response that came first, an event
// delivered again, a replay) or be refused, the savepoint is rolled back
// and they are merged with the others: every row is then copied into the
// staging table and merged into calls by upsertSQL. Either way the rows
// end as the merge rule makes them.
func (w *Writer) writeRows(ctx context.Context, rows [][]any) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.WriteTimeout)
	defer cancel()
	conn, err := w.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	// Outside the transaction: a rollback must not take the table away.
	if err := ensureStaging(ctx, conn.Conn()); err != nil {
		return err
	}
	fresh, rest := splitFresh(rows)
	var inserted, refused int
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		merge := rows
		inserted, refused = 0, 0
		if len(fresh) > 0 {
			ok, err := w.insertFresh(ctx, tx, fresh)
			if err != nil {
				return err
			}
			if ok {
				merge, inserted = rest, len(fresh)
			} else {
				refused = len(fresh)
			}
		}
		if len(merge) == 0 {
			return nil
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{stagingTable}, columnNames, pgx.CopyFromRows(merge)); err != nil {
			return fmt.Errorf("copy into staging: %w", err)
		}
		if _, err := tx.Exec(ctx, upsertSQL); err != nil {
			return fmt.Errorf("merge into calls: %w", err)
		}
		return nil
	})
	if err == nil {
		w.inserted.Add(int64(inserted))
		w.merged.Add(int64(len(rows) - inserted))
		w.refused.Add(int64(refused))
	}
	return err
}

// splitFresh parts rows into those with a request event id, which are
// probably new calls, and the others, keeping their order.
func splitFresh(rows [][]any) (fresh, rest [][]any) {
	for _, r := range rows {
		if r[requestEventIDColumn] != nil {
			fresh = append(fresh, r)
		} else {
			rest = append(rest, r)
		}
	}
	return fresh, rest
}

// insertFresh copies rows straight into calls under a savepoint. It
// reports whether they were inserted; when PostgreSQL refused them as
// data (a call already there is a unique violation), the savepoint is
// rolled back and they are left for the merge. Other errors (the server,
// the connection, a timeout) are returned.
func (w *Writer) insertFresh(ctx context.Context, tx pgx.Tx, rows [][]any) (bool, error) {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("savepoint: %w", err)
	}
	_, err = sp.CopyFrom(ctx, pgx.Identifier{"calls"}, columnNames, pgx.CopyFromRows(rows))
	if err == nil {
		if err := sp.Commit(ctx); err != nil {
			return false, fmt.Errorf("release savepoint: %w", err)
		}
		return true, nil
	}
	if rbErr := sp.Rollback(ctx); rbErr != nil {
		return false, fmt.Errorf("copy into calls: %w (rollback to savepoint: %w)", err, rbErr)
	}
	if IsRetryable(err) {
		return false, fmt.Errorf("copy into calls: %w", err)
	}
	w.log.Debug("direct insert refused, merging the batch", "calls", len(rows), "err", err)
	return false, nil
}

// ensureStaging creates the connection's staging table the first time the
// connection writes.
func ensureStaging(ctx context.Context, conn *pgx.Conn) error {
	data := conn.PgConn().CustomData()
	if data[stagingReady] != nil {
		return nil
	}
	if _, err := conn.Exec(ctx, stagingDDL); err != nil {
		return fmt.Errorf("create staging table: %w", err)
	}
	data[stagingReady] = true
	return nil
}
