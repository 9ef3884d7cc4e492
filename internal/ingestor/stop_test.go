package ingestor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/harborai/ingest/internal/broker"
	"github.com/harborai/ingest/internal/ingestor"
	"github.com/harborai/ingest/internal/natstest"
	"github.com/harborai/ingest/internal/pgtest"
	"github.com/harborai/ingest/internal/testutil"
	"github.com/harborai/ingest/pkg/pg"
)

// TestStopWhileWaitingForPostgres: an ingestor stopped while it waits for
// PostgreSQL to apply the migrations stops cleanly (Run returns nil, so the
// process exits 0 as for any requested stop), and the calls published
// meanwhile wait in JetStream: the next ingestor stores them.
func TestStopWhileWaitingForPostgres(t *testing.T) {
	srv := natstest.Start(t)
	cfg := ingestor.DefaultConfig()
	cfg.NATSURL = srv.ClientURL()
	cfg.DataDir = t.TempDir()
	cfg.MetricsAddr = freeAddr(t)
	cfg.PostgresURL = "postgres://harborai@" + testutil.HangUpAddr(t) + "/harborai?sslmode=disable"
	logs := &testutil.SyncBuffer{}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	done := make(chan error, 1)
	go func() {
		done <- ingestor.Run(ctx, cfg, ingestor.Deps{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	}()
	waitFor(t, 30*time.Second, "the ingestor waiting for PostgreSQL", func() (bool, string) {
		return strings.Contains(logs.String(), "PostgreSQL not available for migrations yet"), logs.String()
	})

	// Alive while it waits, not ready: a liveness probe must not restart it.
	if code, body := get(t, "http://"+cfg.MetricsAddr+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz while waiting for PostgreSQL = %d %q, want 200", code, body)
	}
	if code, body := get(t, "http://"+cfg.MetricsAddr+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "starting") {
		t.Errorf("/readyz while waiting for PostgreSQL = %d %q, want 503 starting", code, body)
	}

	const n = 20
	publishCalls(t, srv.ClientURL(), n)

	cancel(fmt.Errorf("terminated signal received")) // as signal.NotifyContext does
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run() stopped while waiting for PostgreSQL = %v, want nil\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run() did not return within 30s of the stop")
	}
	if !strings.Contains(logs.String(), "ingestor stopped while starting") {
		t.Errorf("logs do not say the ingestor stopped while starting:\n%s", logs.String())
	}

	cfg.PostgresURL = "" // the next ingestor stores into its spool
	next := startIngestor(t, cfg, nil)
	waitFor(t, 30*time.Second, "the calls published meanwhile stored", func() (bool, string) {
		c := len(next.calls(t))
		return c == n, fmt.Sprintf("%d calls", c)
	})
}

// TestMigrationErrors: a migration error only an operator can settle
// (another application's calls table, a migration changed since it was
// applied) ends the start with that error. A session refused (a database
// or a role not created yet) is waited for, as an error in the log, not as
// "not available": the embedded broker, in this process, keeps the apps'
// events meanwhile; once the database exists, the ingestor starts.
func TestMigrationErrors(t *testing.T) {
	cluster := pgtest.Start(t)
	srv := natstest.Start(t)
	ctx := t.Context()
	for _, tc := range []struct {
		name, setup, want string
		waits             bool
		url               func(string) string
	}{
		{name: "another application's calls table", setup: "CREATE TABLE calls (id int)", want: "42P07"},
		{name: "a migration changed since applied", setup: "UPDATE schema_migrations SET checksum = 'deadbeef' WHERE version = 1", want: "changed"},
		{name: "a database that does not exist yet", want: "3D000", waits: true, url: func(u string) string {
			return strings.Replace(u, "/t", "/later_t", 1)
		}},
		{name: "a role that does not exist", want: "28000", waits: true, url: func(u string) string {
			return strings.Replace(u, "postgres@", "no_such_role@", 1)
		}},
		{name: "a role without the privilege to create", setup: "CREATE ROLE migrate_later LOGIN", want: "42501", waits: true,
			url: func(u string) string { return strings.Replace(u, "postgres@", "migrate_later@", 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := cluster.NewDB(t)
			conn, err := pgx.Connect(ctx, url)
			mustNil(t, err)
			defer conn.Close(ctx)
			if strings.HasPrefix(tc.setup, "UPDATE") {
				w, err := pg.NewWriter(ctx, pg.Config{URL: url}, nil)
				mustNil(t, err)
				_, err = pg.Migrate(ctx, w.Pool())
				w.Close()
				mustNil(t, err)
			}
			if tc.setup != "" {
				_, err = conn.Exec(ctx, tc.setup)
				mustNil(t, err)
			}
			if tc.url != nil {
				url = tc.url(url)
			}

			cfg := ingestor.DefaultConfig()
			cfg.NATSURL = srv.ClientURL()
			cfg.DataDir = t.TempDir()
			cfg.PostgresURL = url
			cfg.Migrate = true
			logs := &testutil.SyncBuffer{}
			runCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				done <- ingestor.Run(runCtx, cfg, ingestor.Deps{Logger: slog.New(slog.NewTextHandler(logs, nil))})
			}()
			if tc.waits {
				waitFor(t, 30*time.Second, "the refusal logged as an error", func() (bool, string) {
					l := logs.String()
					return strings.Contains(l, "level=ERROR") && strings.Contains(l, "PostgreSQL refused") && strings.Contains(l, tc.want), l
				})
				select {
				case err := <-done:
					t.Fatalf("Run() = %v while it should wait", err)
				default:
				}
				fix := map[string]string{ // what an operator does; the start goes on
					"3D000": "CREATE DATABASE " + pgx.Identifier{dbName(url)}.Sanitize(),
					"42501": "GRANT CREATE ON SCHEMA public TO migrate_later",
				}[tc.want]
				if fix != "" {
					_, err := conn.Exec(ctx, fix)
					mustNil(t, err)
					waitFor(t, 30*time.Second, "the migrations applied", func() (bool, string) {
						return strings.Contains(logs.String(), "migrations applied"), logs.String()
					})
				}
				cancel()
				mustNil(t, <-done)
				return
			}
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Run() = %v, want an error with %q", err, tc.want)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("Run() still starting after 30s:\n%s", logs.String())
			}
			if strings.Contains(logs.String(), "not available") {
				t.Errorf("logs say PostgreSQL is not available:\n%s", logs.String())
			}
		})
	}
}

// TestWaitingForNATSSaysWhy: an ingestor given a NATS URL nothing listens
// on waits for it, saying which URL and why (connection refused), not only
// that a stream call timed out; stopped, it stops cleanly.
func TestWaitingForNATSSaysWhy(t *testing.T) {
	cfg := ingestor.DefaultConfig()
	cfg.NATSURL = "nats://" + freeAddr(t)
	cfg.DataDir = t.TempDir()
	logs := &testutil.SyncBuffer{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- ingestor.Run(ctx, cfg, ingestor.Deps{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	}()
	waitFor(t, 30*time.Second, "the wait for NATS explained", func() (bool, string) {
		l := logs.String()
		return strings.Contains(l, "NATS not reachable yet") && strings.Contains(l, cfg.NATSURL) &&
			strings.Contains(l, "connection refused"), l
	})
	cancel()
	select {
	case err := <-done:
		mustNil(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Run() did not return within 30s of the stop")
	}
}

// TestOneIngestorPerStore: a second ingestor started on the data dir of a
// running one, with PostgreSQL as the store (the spool, locked, is not
// used), refuses to start instead of running a second JetStream server on
// the same file store; the first goes on storing calls.
func TestOneIngestorPerStore(t *testing.T) {
	cluster := pgtest.Start(t)
	cfg := ingestor.DefaultConfig()
	cfg.PostgresURL = cluster.NewDB(t)
	cfg.Migrate = true
	first := startIngestor(t, cfg, nil)

	second := first.Cfg
	second.NATSListen = strings.TrimPrefix(first.NATSURL, "nats://") // the same address too, as two ingestors started alike
	second.MetricsAddr = ""
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err := ingestor.Run(ctx, second, ingestor.Deps{})
	if !errors.Is(err, broker.ErrStoreInUse) || !strings.Contains(err.Error(), strconv.Itoa(os.Getpid())) {
		t.Fatalf("second ingestor on the same data dir: Run() = %v, want %v naming pid %d", err, broker.ErrStoreInUse, os.Getpid())
	}

	const n = 50
	publishCalls(t, first.NATSURL, n)
	waitFor(t, 30*time.Second, "the first ingestor storing calls", func() (bool, string) {
		c := len(first.calls(t))
		return c == n, fmt.Sprintf("%d calls", c)
	})
	// Its lock goes with it: the next ingestor on the data dir starts.
	mustNil(t, first.Stop())
	next := startIngestor(t, first.Cfg, nil)
	if c := len(next.calls(t)); c != n {
		t.Fatalf("%d calls after a restart on the same data dir, want %d", c, n)
	}
}

// dbName is the database of a postgres:// URL.
func dbName(url string) string {
	db := url[strings.LastIndex(url, "/")+1:]
	if i := strings.IndexByte(db, '?'); i >= 0 {
		db = db[:i]
	}
	return db
}

// freeAddr is a loopback address no one listens on, for a server to come.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	mustNil(t, err)
	addr := ln.Addr().String()
	mustNil(t, ln.Close())
	return addr
}

// get returns the status and body of a GET of url.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	mustNil(t, err)
	return resp.StatusCode, string(b)
}

// TestStopHandsBackWhatItHolds: an ingestor stopped while it consumes a
// backlog acknowledges what it stored and hands back what it had received
// but not stored, so the next ingestor gets it within seconds instead of
// after the consumer's ack wait (60s).
func TestStopHandsBackWhatItHolds(t *testing.T) {
	srv := natstest.Start(t)
	cfg := ingestor.DefaultConfig()
	cfg.NATSURL = srv.ClientURL()
	cfg.DataDir = t.TempDir()
	cfg.BatchSize = 100
	first := startIngestor(t, cfg, nil) // creates the stream and the consumer
	mustNil(t, first.Stop())

	const n = 5000
	publishCalls(t, srv.ClientURL(), n)

	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	scfg := broker.DefaultStreamConfig()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := js.Consumer(ctx, scfg.Stream, scfg.Consumer)
	if err != nil {
		t.Fatal(err)
	}

	second := startIngestor(t, cfg, nil)
	waitFor(t, 30*time.Second, "messages delivered to the ingestor and not acknowledged yet", func() (bool, string) {
		info, err := cons.Info(ctx)
		if err != nil {
			return false, err.Error()
		}
		return info.NumAckPending > 0, fmt.Sprintf("%d pending, %d delivered", info.NumAckPending, info.Delivered.Consumer)
	})
	mustNil(t, second.Stop())
	stored := len(second.calls(t))

	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	within := info.Config.AckWait / 3 // 20s by default
	third := startIngestor(t, cfg, nil)
	start := time.Now()
	waitFor(t, within, "every call stored, well before the ack wait", func() (bool, string) {
		c := len(third.calls(t))
		return c == n, fmt.Sprintf("%d calls", c)
	})
	t.Logf("stored %d before the stop, the rest in %s", stored, time.Since(start))
}

// TestStopWhilePostgresIsDown: an ingestor stopped while PostgreSQL is down
// acknowledges none of the events it could not write: the next ingestor,
// once PostgreSQL is back, stores every one of them.
func TestStopWhilePostgresIsDown(t *testing.T) {
	srv := natstest.Start(t)
	pgc := pgtest.Dedicated(t)
	cfg := ingestor.DefaultConfig()
	cfg.NATSURL = srv.ClientURL()
	cfg.DataDir = t.TempDir()
	cfg.PostgresURL = pgc.NewDB(t)
	cfg.ShutdownTimeout = time.Second
	first := startIngestor(t, cfg, nil)
	mustNil(t, pgc.Stop("fast"))

	const n = 50
	publishCalls(t, srv.ClientURL(), n)
	waitFor(t, 30*time.Second, "the ingestor failing to write the calls", func() (bool, string) {
		failed := counter(first.scrape(t), "harborai_sink_write_errors_total", "", "")
		return failed >= 2, fmt.Sprintf("%v failed writes", failed)
	})
	mustNil(t, first.Stop())

	mustNil(t, pgc.Start())
	next := startIngestor(t, cfg, nil)
	waitFor(t, 90*time.Second, "every call stored by the next ingestor", func() (bool, string) {
		c := len(next.calls(t))
		return c == n, fmt.Sprintf("%d of %d calls", c, n)
	})
}

// TestEmbeddedPortInUse: an embedded server whose address is taken stops
// the start at once with the listener's error, not after a 10 s wait.
func TestEmbeddedPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	mustNil(t, err)
	defer ln.Close()
	cfg := ingestor.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.NATSListen = ln.Addr().String()
	start := time.Now()
	err = ingestor.Run(t.Context(), cfg, ingestor.Deps{})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Run() with %s taken = %v, want address already in use", cfg.NATSListen, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run() took %v to fail, want at once", d)
	}
}
