package ingestor

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/harborai/ingest/internal/ingest"
	"github.com/harborai/ingest/pkg/spool"
)

// Spool reasons recorded on calls that went through the spool.
const (
	ReasonNoPostgres = "no_postgres" // PostgreSQL not configured: the spool is the store
)

// SpoolDir is where the ingestor's spool lives under the data dir.
func SpoolDir(dataDir string) string { return filepath.Join(dataDir, "spool") }

// openSink opens the configured store.
func openSink(_ context.Context, cfg Config, log *slog.Logger) (ingest.Sink, string, int, error) {
	if cfg.PostgresURL != "" {
		return nil, "", 0, fmt.Errorf("HARBORAI_POSTGRES_URL: the PostgreSQL store is not built yet; unset it to use the spool")
	}
	w, err := spool.Open(spool.Options{Dir: SpoolDir(cfg.DataDir), Logger: log})
	if err != nil {
		return nil, "", 0, fmt.Errorf("open spool: %w", err)
	}
	return ingest.NewSpoolSink(w, ReasonNoPostgres), "spool", ingest.StateFile, nil
}

// quarantineDir keeps rejected events under a directory.
type quarantineDir string

func (q quarantineDir) Quarantine(reason string, raw []byte, _ string) error {
	return spool.Quarantine(string(q), reason, raw)
}
