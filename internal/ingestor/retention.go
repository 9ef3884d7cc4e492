package ingestor

import (
	"context"
	"log/slog"
	"time"

	"github.com/harborai/ingest/internal/replay"
	"github.com/harborai/ingest/pkg/pg"
)

// runRetention enforces the retention policy every cfg.PruneInterval until
// ctx ends (docs/configuration.md), in PostgreSQL and on the spool segments
// already loaded into it (spool/done/). With more than one ingestor, each
// prunes; pruning is idempotent and in small batches, so that is harmless.
func runRetention(ctx context.Context, cfg Config, w *pg.Writer, log *slog.Logger) {
	if cfg.PruneInterval <= 0 {
		return
	}
	r := pg.Retention{Bodies: cfg.RetainBodies, Errors: cfg.RetainErrors, Calls: cfg.RetainCalls}
	t := time.NewTicker(cfg.PruneInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			res, err := pg.Prune(ctx, w.Pool(), r, time.Now())
			if err != nil {
				log.Warn("retention prune", "err", err, "done_so_far", res)
			} else if res != (pg.PruneResult{}) {
				log.Info("retention pruned", "bodies_cleared", res.BodiesCleared, "errors_deleted", res.ErrorsDeleted, "calls_deleted", res.CallsDeleted)
			}
			// The spool's segments the replayer loaded hold the same calls.
			n, err := replay.PruneLoaded(SpoolDir(cfg.DataDir), r, time.Now())
			if err != nil {
				log.Warn("retention prune of loaded spool segments", "err", err, "removed", n)
			} else if n > 0 {
				log.Info("retention removed loaded spool segments", "segments", n)
			}
		}
	}
}
