package pricing

import (
	"errors"
	"fmt"
)

// ErrNoPostgres is returned by what needs PostgreSQL (re-pricing) when
// HARBORAI_POSTGRES_URL is not set.
var ErrNoPostgres = errors.New("PostgreSQL is not configured (set HARBORAI_POSTGRES_URL or --postgres-url)")

// ErrCorruptStore is matched by errors about a price file that cannot be
// read as one (invalid JSON, an unknown version): an operator must fix it.
var ErrCorruptStore = errors.New("corrupt price store")

// FieldError is an unusable value of one field of a price to set, named as
// the harborctl flag that gives it ("input", "effective-from").
type FieldError struct {
	Field  string
	Value  string
	Reason string
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("--%s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("--%s %q: %s", e.Field, e.Value, e.Reason)
}
