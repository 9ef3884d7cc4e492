package pg

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/harborai/ingest/pkg/record"
)

var (
	// ErrNotFound is returned by Store.Get when no call matches.
	ErrNotFound = errors.New("call not found")
	// ErrChecksumMismatch is returned by Migrate when an applied migration's
	// file has changed since it was applied.
	ErrChecksumMismatch = errors.New("applied migration changed")
	// ErrUnstorable says a call holds a value no column can take (an HTTP
	// status beyond 32 bits); Write reports such calls in a PoisonError.
	ErrUnstorable = errors.New("value cannot be stored")
)

// PoisonError reports the calls of a batch that cannot be stored (a
// permanent error, see isPermanent): every other call of the batch was
// written.
// Calls[i] was rejected for Errs[i]. The caller quarantines them; writing
// them again will fail the same way.
type PoisonError struct {
	Calls []record.Call
	Errs  []error
}

func (e *PoisonError) Error() string {
	ids := make([]string, len(e.Calls))
	for i := range e.Calls {
		ids[i] = e.Calls[i].CallID
	}
	return fmt.Sprintf("%d call(s) rejected (%s): %v", len(e.Calls), strings.Join(ids, ", "), e.Errs[0])
}

// Unwrap returns the rejection of each call, for errors.Is and errors.As.
func (e *PoisonError) Unwrap() []error { return e.Errs }

func (e *PoisonError) add(c record.Call, err error) {
	e.Calls = append(e.Calls, c)
	e.Errs = append(e.Errs, err)
}

// IsRetryable reports whether err is worth retrying later (or spooling):
// anything that is not the data's fault. That is every error except a
// PoisonError and PostgreSQL's data errors (permanent: see isPermanent).
// In particular connection errors, timeouts (pgconn.Timeout, context
// deadlines and cancellation), pgconn.SafeToRetry errors and the SQLSTATE
// classes 08 (connection), 40 (serialization, deadlock), 53 (insufficient
// resources: disk full, too many connections), 57 (operator intervention,
// statement timeout, shutdown), 55P03 (lock not available), 25006 (read-only
// transaction) are retryable; so are schema errors (class 42, e.g. the
// migrations not applied yet), which an operator fixes, not a quarantine.
func IsRetryable(err error) bool {
	return err != nil && !isPermanent(err)
}

// IsRefused reports whether PostgreSQL refused the session for a reason
// that waiting does not mend: authentication or authorization (SQLSTATE
// class 28: a wrong password, a role that does not exist), or a database
// that does not exist (3D000). IsRetryable holds for it: an operator may
// mend it while a daemon waits.
func IsRefused(err error) bool {
	code := SQLState(err)
	return strings.HasPrefix(code, "28") || code == "3D000"
}

// SQLState is the SQLSTATE of the PostgreSQL error in err, or "".
func SQLState(err error) string {
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pgErr.Code
	}
	return ""
}

// IsStatementTimeout reports whether PostgreSQL canceled the statement
// (SQLSTATE 57014: the statement timeout, or another session's
// pg_cancel_backend). It is retryable.
func IsStatementTimeout(err error) bool { return SQLState(err) == "57014" }

// IsSchemaError reports whether err says the schema is not what the code
// expects (SQLSTATE class 42: a missing table or column, missing
// privileges). IsRetryable holds for it, since a daemon can wait for an
// operator to migrate; a one-shot command should say so at once instead.
func IsSchemaError(err error) bool { return strings.HasPrefix(SQLState(err), "42") }

// isPermanent reports whether the data itself is at fault: ErrUnstorable,
// or PostgreSQL rejected it with an error of the SQLSTATE classes 21
// (cardinality violation), 22 (data exception: bad encoding, out of range),
// 23 (integrity constraint violation) or 54 (program limit exceeded: a value
// too large to index). The same rows fail again, whatever the server's
// health.
func isPermanent(err error) bool {
	if _, ok := errors.AsType[*PoisonError](err); ok || errors.Is(err, ErrUnstorable) {
		return true
	}
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	if !ok || len(pgErr.Code) < 2 {
		return false
	}
	switch pgErr.Code[:2] {
	case "21", "22", "23", "54":
		return true
	}
	return false
}
