package replay

import (
	"testing"
	"time"

	"github.com/harborai/ingest/pkg/pg"
)

// TestLoadedHorizon: loaded segments are kept no longer than PostgreSQL
// keeps what they hold: the shorter of the bodies' and the calls'
// retention, where 0 means for good.
func TestLoadedHorizon(t *testing.T) {
	const day = 24 * time.Hour
	for _, tc := range []struct {
		bodies, calls, want time.Duration
	}{
		{30 * day, 365 * day, 30 * day}, // the defaults
		{90 * day, 30 * day, 30 * day},  // calls deleted before their bodies would be cleared
		{0, 365 * day, 365 * day},       // bodies kept for good
		{30 * day, 0, 30 * day},         // calls kept for good
		{0, 0, 0},                       // everything kept
	} {
		if got := LoadedHorizon(pg.Retention{Bodies: tc.bodies, Calls: tc.calls}); got != tc.want {
			t.Errorf("LoadedHorizon(bodies %s, calls %s) = %s, want %s", tc.bodies, tc.calls, got, tc.want)
		}
	}
}
