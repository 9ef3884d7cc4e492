package replay

import (
	"time"

	"github.com/harborai/ingest/pkg/pg"
	"github.com/harborai/ingest/pkg/spool"
)

// LoadedHorizon is how long the segments a load moved to done/ are kept:
// as long as PostgreSQL keeps what they hold, the shorter of the bodies'
// and the calls' retention (r.Bodies, r.Calls; zero means for good, and
// so does a zero result). What PostgreSQL no longer keeps is not kept on
// disk either.
func LoadedHorizon(r pg.Retention) time.Duration {
	switch {
	case r.Bodies > 0 && r.Calls > 0:
		return min(r.Bodies, r.Calls)
	case r.Bodies > 0:
		return r.Bodies
	default:
		return r.Calls
	}
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

// LoadedToPrune counts what PruneLoaded would remove.
func LoadedToPrune(dir string, r pg.Retention, now time.Time) (int, error) {
	h := LoadedHorizon(r)
	if h <= 0 {
		return 0, nil
	}
	return spool.DoneBefore(dir, now.Add(-h))
}
