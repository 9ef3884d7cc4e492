package replay

import (
	"time"

	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/spool"
)

// LoadedHorizon is how long the segments a load moved to done/ are kept:
// as long as PostgreSQL keeps the bodies they hold (r.Bodies), or, when
// bodies are kept for good, as long as it keeps the calls. Zero means for
// good. What PostgreSQL no longer keeps is not kept on disk either.
func LoadedHorizon(r pg.Retention) time.Duration {
	if r.Bodies > 0 {
		return r.Bodies
	}
	return r.Calls
}

// PruneLoaded removes the segments of dir/done/ (loaded into PostgreSQL)
// sealed more than LoadedHorizon(r) before now, and returns how many it
// removed.
func PruneLoaded(dir string, r pg.Retention, now time.Time) (int, error) {
	h := LoadedHorizon(r)
	if h <= 0 {
		return 0, nil
	}
	return spool.PruneDone(dir, now.Add(-h))
}
