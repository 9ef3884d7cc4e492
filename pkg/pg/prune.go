package pg

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Retention says how long calls are kept, by age of started_at. A zero
// duration keeps forever.
type Retention struct {
	Bodies time.Duration // request and response bodies
	Errors time.Duration // calls with status error the vendor did not bill (a billed one is cost data: kept as long as Calls)
	Calls  time.Duration // every call
	// BatchSize bounds the rows one statement touches (default 1000), so
	// pruning never holds long locks or builds a huge transaction.
	BatchSize int
}

// DefaultRetention keeps bodies 30 days, errors 90 days and calls a year.
func DefaultRetention() Retention {
	const day = 24 * time.Hour
	return Retention{Bodies: 30 * day, Errors: 90 * day, Calls: 365 * day, BatchSize: 1000}
}

// PruneResult counts what Prune did.
type PruneResult struct {
	BodiesCleared int64 // calls whose bodies were set to NULL
	ErrorsDeleted int64
	CallsDeleted  int64
}

// hasTokensSQL holds for a call with a token count above 0 (GREATEST
// skips NULLs); unbilledSQL for a call the vendor billed nothing for: no
// such count and no cost above 0.
const (
	hasTokensSQL = `coalesce(greatest(prompt_tokens, completion_tokens, total_tokens,
	cached_tokens, reasoning_tokens, cache_write_tokens), 0) > 0`
	unbilledSQL = `coalesce(total_cost, 0) = 0 AND NOT ` + hasTokensSQL
)

// Prune enforces r as of now, in batches of r.BatchSize rows, each its own
// statement bounded by the default query timeout: it deletes the calls
// older than r.Calls, the error calls older than r.Errors that the vendor
// did not bill (no token reported, no cost: an error call with tokens
// stays as long as any call, priced or not, so that usage and cost totals
// do not lose it and a price added later can still reprice it), and
// clears the bodies of calls older than r.Bodies. It stops at the first error,
// returning what was done so far; running it again carries on.
func Prune(ctx context.Context, pool *pgxpool.Pool, r Retention, now time.Time) (PruneResult, error) {
	var res PruneResult
	batch := r.BatchSize
	if batch <= 0 {
		batch = DefaultRetention().BatchSize
	}
	timeout := DefaultConfig().QueryTimeout
	exec := func(sql string, args ...any) (int64, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		tag, err := pool.Exec(ctx, sql, args...)
		return tag.RowsAffected(), err
	}
	deleteAll := func(what string, d time.Duration, sql string, n *int64) error {
		if d <= 0 {
			return nil
		}
		for {
			k, err := exec(sql, now.Add(-d), batch)
			*n += k
			if err != nil {
				return fmt.Errorf("prune %s: %w", what, err)
			}
			if k < int64(batch) {
				return nil
			}
		}
	}
	if err := deleteAll("calls", r.Calls, deleteLockedSQL(`SELECT call_id FROM calls WHERE started_at < $1
		 ORDER BY started_at LIMIT $2`), &res.CallsDeleted); err != nil {
		return res, err
	}
	if err := deleteAll("errors", r.Errors, deleteLockedSQL(`SELECT call_id FROM calls WHERE status = 'error' AND started_at < $1 AND `+unbilledSQL+`
		 ORDER BY started_at LIMIT $2`), &res.ErrorsDeleted); err != nil {
		return res, err
	}
	if r.Bodies <= 0 {
		return res, nil
	}
	// Bodies: walk the old calls in (started_at, call_id) order, since a
	// cleared row still matches started_at < cutoff.
	after := pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
	afterID := ""
	for {
		qctx, cancel := context.WithTimeout(ctx, timeout)
		var scanned, cleared int64
		var lastAt pgtype.Timestamptz
		var lastID *string
		err := pool.QueryRow(qctx, `WITH batch AS (
				SELECT call_id, started_at FROM calls
				 WHERE started_at < $1 AND (started_at, call_id) > ($2, $3)
				 ORDER BY started_at, call_id LIMIT $4),
			locked AS (`+lockSQL+`),
			cleared AS (
				UPDATE calls c SET request_body = NULL, response_body = NULL, updated_at = now()
				  FROM locked b
				 WHERE c.call_id = b.call_id AND (c.request_body IS NOT NULL OR c.response_body IS NOT NULL)
				RETURNING 1),
			last AS (SELECT started_at, call_id FROM batch ORDER BY started_at DESC, call_id DESC LIMIT 1)
			SELECT (SELECT count(*) FROM batch), (SELECT count(*) FROM cleared),
			       (SELECT started_at FROM last), (SELECT call_id FROM last)`,
			now.Add(-r.Bodies), after, afterID, batch).Scan(&scanned, &cleared, &lastAt, &lastID)
		cancel()
		res.BodiesCleared += cleared
		if err != nil {
			return res, fmt.Errorf("prune bodies: %w", err)
		}
		if scanned < int64(batch) || lastID == nil {
			return res, nil
		}
		after, afterID = lastAt, *lastID
	}
}

// lockSQL locks the calls of the CTE batch in call id order, the order
// every writer locks rows in (Writer.Write), so that a prune and a write
// touching the same old calls (a late event, a replay) cannot deadlock; a
// statement that deleted or cleared them in its own order could.
const lockSQL = `SELECT c.call_id FROM calls c JOIN batch USING (call_id) ORDER BY c.call_id FOR UPDATE OF c`

// deleteLockedSQL deletes the calls the query batch selects, locked first
// (lockSQL).
func deleteLockedSQL(batch string) string {
	return "WITH batch AS (" + batch + "),\n\tlocked AS (" + lockSQL + ")\n" +
		"DELETE FROM calls WHERE call_id IN (SELECT call_id FROM locked)"
}

// PrunePlan counts what Prune would do as of now, changing nothing: the
// calls it would delete past r.Calls, the error calls past r.Errors (not
// those already counted past r.Calls) and the calls whose bodies it would
// clear (not those it would delete).
func PrunePlan(ctx context.Context, pool *pgxpool.Pool, r Retention, now time.Time) (PruneResult, error) {
	cutoff := func(d time.Duration) pgtype.Timestamptz {
		if d <= 0 { // kept for good: no call is older
			return pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
		}
		return pgtype.Timestamptz{Time: now.Add(-d), Valid: true}
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultConfig().QueryTimeout)
	defer cancel()
	var res PruneResult
	err := pool.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE started_at < $1),
			count(*) FILTER (WHERE started_at >= $1 AND started_at < $2 AND status = 'error' AND `+unbilledSQL+`),
			count(*) FILTER (WHERE started_at >= $1 AND started_at < $3
				AND NOT (started_at < $2 AND status = 'error' AND `+unbilledSQL+`)
				AND (request_body IS NOT NULL OR response_body IS NOT NULL))
		FROM calls WHERE started_at < greatest($1, $2, $3)`,
		cutoff(r.Calls), cutoff(r.Errors), cutoff(r.Bodies)).Scan(&res.CallsDeleted, &res.ErrorsDeleted, &res.BodiesCleared)
	if err != nil {
		return PruneResult{}, fmt.Errorf("plan prune: %w", err)
	}
	return res, nil
}
