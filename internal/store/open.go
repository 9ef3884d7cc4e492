package store

import (
	"context"
	"path/filepath"
)

// Open returns the PostgreSQL store when pgURL is set, else the spool under
// dataDir.
func Open(ctx context.Context, pgURL, dataDir string) (Store, error) {
	if pgURL != "" {
		return OpenPG(ctx, pgURL)
	}
	return NewSpoolStore(filepath.Join(dataDir, "spool")), nil
}
