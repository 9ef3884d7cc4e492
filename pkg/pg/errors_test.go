package pg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/harborai/ingest/pkg/record"
)

func TestIsRetryable(t *testing.T) {
	pgErr := func(code string) error { return fmt.Errorf("merge into calls: %w", &pgconn.PgError{Code: code}) }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{name: "nil", err: nil, want: false},
		{name: "connection failure 08006", err: pgErr("08006"), want: true},
		{name: "serialization 40001", err: pgErr("40001"), want: true},
		{name: "deadlock 40P01", err: pgErr("40P01"), want: true},
		{name: "too many connections 53300", err: pgErr("53300"), want: true},
		{name: "disk full 53100", err: pgErr("53100"), want: true},
		{name: "admin shutdown 57P01", err: pgErr("57P01"), want: true},
		{name: "statement timeout 57014", err: pgErr("57014"), want: true},
		{name: "lock not available 55P03", err: pgErr("55P03"), want: true},
		{name: "read-only transaction 25006", err: pgErr("25006"), want: true},
		{name: "undefined table 42P01", err: pgErr("42P01"), want: true},
		{name: "check violation 23514", err: pgErr("23514"), want: false},
		{name: "not null violation 23502", err: pgErr("23502"), want: false},
		{name: "invalid encoding 22021", err: pgErr("22021"), want: false},
		{name: "numeric out of range 22003", err: pgErr("22003"), want: false},
		{name: "cardinality 21000", err: pgErr("21000"), want: false},
		{name: "index row too big 54000", err: pgErr("54000"), want: false},
		{name: "deadline", err: fmt.Errorf("acquire: %w", context.DeadlineExceeded), want: true},
		{name: "canceled", err: context.Canceled, want: true},
		{name: "network", err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}, want: true},
		{name: "unexpected EOF", err: io.ErrUnexpectedEOF, want: true},
		{name: "poison", err: &PoisonError{Calls: []record.Call{{CallID: "x"}}, Errs: []error{pgErr("23514")}}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsRetryable(tt.err); got != tt.want {
				t.Fatalf("IsRetryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
