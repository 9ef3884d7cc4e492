package ingestor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/sethvargo/go-retry"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/spool"
)

// Spool reasons recorded on calls that went through the spool.
const (
	ReasonNoPostgres = "no_postgres" // PostgreSQL not configured: the spool is the store
)

// SpoolDir is where the ingestor's spool lives under the data dir.
func SpoolDir(dataDir string) string { return filepath.Join(dataDir, "spool") }

// openSink opens the configured store.
func openSink(ctx context.Context, cfg Config, log *slog.Logger) (ingest.Sink, string, int, error) {
	if cfg.PostgresURL != "" {
		// A connection for each writer, and two for the rest (the health
		// probe, retention), so that no write waits for a connection.
		pcfg := pg.Config{URL: cfg.PostgresURL, MaxConns: max(int32(cfg.Writers)+2, pg.DefaultConfig().MaxConns)}
		w, err := pg.NewWriter(ctx, pcfg, log.With("component", "postgres"))
		if err != nil {
			return nil, "", 0, fmt.Errorf("HARBORAI_POSTGRES_URL: %w", err)
		}
		if cfg.Migrate {
			if err := migrate(ctx, w, log); err != nil {
				w.Close()
				return nil, "", 0, err
			}
		}
		return w, "postgres", ingest.StatePostgres, nil
	}
	w, err := openSpool(ctx, SpoolDir(cfg.DataDir), log)
	if err != nil {
		return nil, "", 0, fmt.Errorf("open spool: %w", err)
	}
	return ingest.NewSpoolSink(w, ReasonNoPostgres), "spool", ingest.StateFile, nil
}

// spoolLockWait is how long the ingestor waits for a spool another
// process holds: a replayer holds it a moment, to seal what a writer gone
// left; another ingestor holds it for good.
const spoolLockWait = 10 * time.Second

// openSpool opens the spool in dir, waiting up to spoolLockWait while
// another process holds it.
func openSpool(ctx context.Context, dir string, log *slog.Logger) (*spool.Writer, error) {
	var w *spool.Writer
	logged := false
	b := retry.WithMaxDuration(spoolLockWait, retry.NewConstant(100*time.Millisecond))
	err := retry.Do(ctx, b, func(context.Context) error {
		var err error
		if w, err = spool.Open(spool.Options{Dir: dir, Logger: log}); !errors.Is(err, spool.ErrLocked) {
			return err
		}
		if !logged {
			log.Warn("spool locked by another process (a replayer sealing it, or another ingestor); waiting", "err", err, "for", spoolLockWait)
			logged = true
		}
		return retry.RetryableError(err)
	})
	return w, err
}

// quarantineDir keeps rejected events under a directory.
type quarantineDir string

func (q quarantineDir) Quarantine(reason string, raw []byte, _ string) error {
	return spool.Quarantine(string(q), reason, raw)
}

// migrate applies the schema, retrying while PostgreSQL is unreachable so
// the ingestor can start before the database. A session refused (a wrong
// password, a role or database not created yet) or a missing privilege is
// waited for, loudly: an operator may mend it, and meanwhile the embedded
// broker, which lives in this process, keeps the apps' events. Any other
// error of the migrations themselves ends the start: a migration changed
// since it was applied, another application's table in the way, a server
// too old for them (a syntax or feature it lacks).
func migrate(ctx context.Context, w *pg.Writer, log *slog.Logger) error {
	b := retry.WithCappedDuration(5*time.Second, retry.NewExponential(200*time.Millisecond))
	return retry.Do(ctx, b, func(ctx context.Context) error {
		mctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		applied, err := pg.Migrate(mctx, w.Pool())
		if err != nil {
			switch code := pg.SQLState(err); {
			case pg.IsRefused(err) || code == "42501": // insufficient privilege
				log.Error("PostgreSQL refused the migrations; waiting for an operator to fix the URL, the role, the database or the privileges",
					"err", err)
			case errors.Is(err, pg.ErrChecksumMismatch), pg.IsSchemaError(err), code == "0A000", !pg.IsRetryable(err):
				return fmt.Errorf("migrate: %w", err)
			default:
				log.Warn("PostgreSQL not available for migrations yet", "err", err)
			}
			return retry.RetryableError(err)
		}
		if len(applied) > 0 {
			log.Info("migrations applied", "versions", applied)
		}
		return nil
	})
}
