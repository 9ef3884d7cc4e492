package pricing

import (
	"context"
	"io"
	"path/filepath"

	"github.com/harborai/ingest/pkg/pg"
)

// Store holds the dynamic price history. Entries are only appended.
type Store interface {
	// Append stores e (valid, see Entry.Validate) and returns it with its
	// ID and SetAt.
	Append(ctx context.Context, e Entry) (Entry, error)
	// History returns the entries of provider and model (either empty:
	// all), by provider, model, effective date and ID.
	History(ctx context.Context, provider, model string) ([]Entry, error)
	// Source names the store: "postgres" or "file <path>".
	Source() string
	io.Closer
}

// FileName is the price file under the data directory, used when there is
// no PostgreSQL.
const FileName = "pricing.json"

// Open returns the PostgreSQL store when pgURL is set, else the file store
// in dataDir. Neither connects nor reads yet.
func Open(ctx context.Context, pgURL, dataDir string) (Store, error) {
	if pgURL == "" {
		return NewFileStore(filepath.Join(dataDir, FileName)), nil
	}
	pool, err := pg.NewPool(ctx, pg.Config{URL: pgURL, MaxConns: 2})
	if err != nil {
		return nil, err
	}
	return &pgStore{pool: pool, owned: true}, nil
}
