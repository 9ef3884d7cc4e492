package store

import (
	"context"
	"errors"
	"path/filepath"
)

// Open returns the PostgreSQL store when pgURL is set, else the spool under
// dataDir.
func Open(_ context.Context, pgURL, dataDir string) (Store, error) {
	if pgURL != "" {
		return nil, errors.New("the PostgreSQL store is not built yet; unset HARBORAI_POSTGRES_URL to read the spool")
	}
	return NewSpoolStore(filepath.Join(dataDir, "spool")), nil
}
