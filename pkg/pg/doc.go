// Package pg is the PostgreSQL side of the pipeline (SPEC §7.2): the
// migration runner over the embedded migrations, the batch Writer (the
// ingestor's sink), retention (Prune) and the Store that the operator CLI
// queries.
//
// # Storage
//
// One table, calls, holds one row per call, keyed by call_id; the seed's
// relations (api_logs, token_usage, cost_info, tracing_info,
// performance_metrics, keyed by log_id = call_id) and the function
// get_log_by_any_trace_id are views and a SQL function over it
// (migrations/). Costs are numeric without a fixed scale: a cost reads back
// with the exact value and scale it was written with. Token counts are
// bigint. Times are timestamptz with PostgreSQL's microsecond precision and
// read back in UTC.
//
// What PostgreSQL cannot store is converted, never rejected: text (bodies
// included) cannot hold NUL bytes or invalid UTF-8, so each is replaced by
// U+FFFD; jsonb cannot hold \u0000, so raw usage and tags get \ufffd
// instead, and a raw usage that is not JSON is stored as a JSON string.
// jsonb also normalises the raw usage's whitespace and key order (the
// values are kept exactly). Empty strings are stored as NULL.
//
// # Writes
//
// Writer.Write merges the fragments of each call in the batch
// (record.Merge), copies the batch in binary COPY into a temporary staging
// table (one per connection, emptied on commit) and merges it into calls
// with one INSERT ... ON CONFLICT DO UPDATE that applies record.Merge's
// rule: each side of a call (header, request, response) comes from the
// fragment with the smaller event id. Any order and any repetition of a
// call's fragments give the same row; the same batch written twice changes
// nothing. A batch is one or two transactions (the new calls' COPY, then
// the merge), bounded by the write timeout together; every
// session has statement_timeout and lock_timeout, and every call here has
// a context deadline, so a frozen server cannot hang a caller.
//
// # Errors
//
// IsRetryable classifies errors once: PostgreSQL's data errors (SQLSTATE
// classes 21, 22, 23, 54) are permanent, everything else (connections,
// timeouts, a read-only or overloaded server, missing schema) is retryable.
// A permanent error splits the batch until the rejected calls are found;
// the rest is written and a *PoisonError names the rejected calls.
package pg
