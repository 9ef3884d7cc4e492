package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func TestFindBinaries(t *testing.T) {
	root := t.TempDir()
	mk := func(dir string, names ...string) string {
		d := filepath.Join(root, dir)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(d, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	onPath := mk("path", "initdb", "pg_ctl")
	half := mk("half", "initdb")
	mk("lib/14/bin", "initdb", "pg_ctl")
	v16 := mk("lib/16/bin", "initdb", "pg_ctl")
	glob := filepath.Join(root, "lib/*/bin")
	tests := []struct {
		name, path, glob string
		want             string // initdb's directory, "" for not found
	}{
		{name: "on PATH first", path: half + ":" + onPath, glob: glob, want: onPath},
		{name: "newest versioned dir", path: half, glob: glob, want: v16},
		{name: "not found", path: half, glob: filepath.Join(root, "none/*"), want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := findBinaries(tt.path, tt.glob)
			if tt.want == "" {
				if !errors.Is(err, errNoBinaries) {
					t.Fatalf("findBinaries() error = %v, want errNoBinaries", err)
				}
				return
			}
			if err != nil || filepath.Dir(b.initdb) != tt.want || filepath.Dir(b.pgctl) != tt.want {
				t.Fatalf("findBinaries() = %+v, %v, want both in %s", b, err, tt.want)
			}
		})
	}
}

// recTB records how a helper ended the test.
type recTB struct {
	testing.TB
	fatal, skip string
}

func (r *recTB) Helper()                        {}
func (r *recTB) Fatalf(format string, a ...any) { r.fatal = fmt.Sprintf(format, a...) }
func (r *recTB) Skipf(format string, a ...any)  { r.skip = fmt.Sprintf(format, a...) }

func TestMissingSkipsOrFails(t *testing.T) {
	tests := []struct {
		name      string
		ci        bool
		wantFatal bool
	}{
		{name: "developer machine skips", ci: false, wantFatal: false},
		{name: "CI fails", ci: true, wantFatal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recTB{TB: t}
			missing(r, tt.ci, "no binaries")
			if gotFatal := r.fatal != ""; gotFatal != tt.wantFatal || (r.fatal == "" && r.skip == "") {
				t.Fatalf("missing(ci=%v): fatal %q skip %q, want fatal=%v", tt.ci, r.fatal, r.skip, tt.wantFatal)
			}
		})
	}
}

func query(ctx context.Context, url, sql string) (string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	var s string
	err = conn.QueryRow(ctx, sql).Scan(&s)
	return s, err
}

func TestNewDBIsolatedAndDropped(t *testing.T) {
	c := Start(t)
	ctx := t.Context()
	var firstName string
	t.Run("a", func(t *testing.T) {
		url := c.NewDB(t)
		if _, err := query(ctx, url, "CREATE TABLE x AS SELECT 'ok'::text AS v"); err == nil || !errors.Is(err, pgx.ErrNoRows) {
			t.Fatalf("create table x: %v", err)
		}
		name, err := query(ctx, url, "SELECT current_database()")
		if err != nil {
			t.Fatal(err)
		}
		firstName = name
	})
	t.Run("b", func(t *testing.T) {
		url := c.NewDB(t)
		got, err := query(ctx, url, "SELECT count(*)::text FROM pg_tables WHERE tablename = 'x'")
		if err != nil || got != "0" {
			t.Fatalf("fresh database sees table x: %q, %v", got, err)
		}
	})
	got, err := query(ctx, c.URL("postgres"), "SELECT count(*)::text FROM pg_database WHERE datname = '"+firstName+"'")
	if err != nil || got != "0" {
		t.Fatalf("database %s after its test: count %q, %v; want dropped", firstName, got, err)
	}
}

func TestSharedClusterIsShared(t *testing.T) {
	if a, b := Start(t), Start(t); a != b {
		t.Fatalf("Start() twice = %p, %p, want one shared cluster", a, b)
	}
}

func TestStopStart(t *testing.T) {
	c := Dedicated(t)
	url := c.NewDB(t)
	ctx := t.Context()
	before := c.PID()
	if before == 0 {
		t.Fatal("PID() = 0 on a running cluster")
	}
	tests := []struct{ name, mode string }{
		{name: "fast", mode: "fast"},
		{name: "immediate", mode: "immediate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.Stop(tt.mode); err != nil {
				t.Fatal(err)
			}
			if pid := c.PID(); pid != 0 {
				t.Fatalf("PID() after Stop = %d, want 0", pid)
			}
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if _, err := query(cctx, url, "SELECT 'x'"); err == nil {
				t.Fatal("query on a stopped server succeeded")
			}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			if got, err := query(ctx, url, "SELECT 'up'"); err != nil || got != "up" {
				t.Fatalf("query after Start = %q, %v", got, err)
			}
		})
	}
}

func TestFreezeThaw(t *testing.T) {
	c := Dedicated(t)
	url := c.NewDB(t)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	c.Freeze(t)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := conn.Exec(ctx, "SELECT 1"); err == nil {
		t.Fatal("query on a frozen server succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("query on a frozen server returned after %v, want about its 300ms deadline", d)
	}
	if err := c.Thaw(); err != nil {
		t.Fatal(err)
	}
	if got, err := query(t.Context(), url, "SELECT 'thawed'"); err != nil || got != "thawed" {
		t.Fatalf("query after Thaw = %q, %v", got, err)
	}
}
