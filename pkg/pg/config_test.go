package pg

import (
	"errors"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestSessionSettings: every session of a writer's pool has the configured
// timeouts, so the server itself ends a statement that runs too long, even
// when the caller's context has no deadline.
func TestSessionSettings(t *testing.T) {
	t.Parallel()
	w, err := NewWriter(t.Context(), Config{URL: newDB(t), StatementTimeout: 200 * time.Millisecond, LockTimeout: 300 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	for _, tc := range []struct{ name, want string }{
		{"statement_timeout", "200ms"},
		{"lock_timeout", "300ms"},
		{"application_name", "harborai-ingest"},
		{"TimeZone", "UTC"},
	} {
		var got string
		if err := w.Pool().QueryRow(t.Context(), "SHOW "+tc.name).Scan(&got); err != nil {
			t.Fatalf("SHOW %s: %v", tc.name, err)
		}
		if got != tc.want {
			t.Errorf("SHOW %s = %q, want %q", tc.name, got, tc.want)
		}
	}
	_, err = w.Pool().Exec(t.Context(), "SELECT pg_sleep(5)")
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); !ok || pgErr.Code != "57014" {
		t.Errorf("SELECT pg_sleep(5) with statement_timeout 200ms = %v, want SQLSTATE 57014 (query canceled)", err)
	}
}

// TestURLSettingsWin: settings the URL gives, as parameters in any case
// or in libpq's options, are the session's, not the writer's defaults.
func TestURLSettingsWin(t *testing.T) {
	t.Parallel()
	base := newDB(t)
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	url := base + sep + "options=" + strings.ReplaceAll(neturl.QueryEscape("-c statement_timeout=123s --lock-timeout=45s"), "+", "%20") + "&TimeZone=America/Los_Angeles"
	w, err := NewWriter(t.Context(), Config{URL: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	for range 3 { // several sessions: the URL's setting was sent beside the writer's own
		conn, err := w.Pool().Acquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Release()
		for _, tc := range []struct{ name, want string }{
			{"statement_timeout", "123s"},
			{"lock_timeout", "45s"},
			{"TimeZone", "America/Los_Angeles"},
			{"application_name", "harborai-ingest"},
		} {
			var got string
			if err := conn.QueryRow(t.Context(), "SHOW "+tc.name).Scan(&got); err != nil {
				t.Fatalf("SHOW %s: %v", tc.name, err)
			}
			if got != tc.want {
				t.Errorf("SHOW %s = %q, want %q (URL %s)", tc.name, got, tc.want, url)
			}
		}
	}
}
