package pricing

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/harborai/ingest/pkg/pg"
)

// pgStore keeps the entries in the dynamic_prices table
// (migrations/0004_pricing.sql).
type pgStore struct {
	pool  *pgxpool.Pool
	owned bool // Close closes the pool
}

// NewPostgresStore returns a store over pool, which the caller keeps and
// closes.
func NewPostgresStore(pool *pgxpool.Pool) Store { return &pgStore{pool: pool} }

func (s *pgStore) Append(ctx context.Context, e Entry) (Entry, error) {
	if err := e.Validate(); err != nil {
		return Entry{}, err
	}
	r, err := pg.InsertPrice(ctx, s.pool, pg.PriceRow{
		Provider: e.Provider, Model: e.Model, Currency: e.Currency, Unit: e.Unit,
		Input: e.Input, CachedInput: e.CachedInput, CacheWrite: e.CacheWrite, Output: e.Output,
		EffectiveFrom: e.EffectiveFrom, Removed: e.Removed, Note: e.Note,
	})
	if err != nil {
		return Entry{}, err
	}
	return fromRow(r), nil
}

func (s *pgStore) History(ctx context.Context, provider, model string) ([]Entry, error) {
	rows, err := pg.ListPrices(ctx, s.pool, normalizeName(provider), normalizeName(model))
	if err != nil {
		return nil, err
	}
	out := make([]Entry, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out, nil
}

func (s *pgStore) Source() string { return "postgres" }

func (s *pgStore) Close() error {
	if s.owned {
		s.pool.Close()
	}
	return nil
}

func fromRow(r pg.PriceRow) Entry {
	return Entry{
		ID: r.ID, Provider: r.Provider, Model: r.Model, Currency: r.Currency, Unit: r.Unit,
		Input: r.Input, CachedInput: r.CachedInput, CacheWrite: r.CacheWrite, Output: r.Output,
		EffectiveFrom: r.EffectiveFrom, Removed: r.Removed, Note: r.Note, SetAt: r.SetAt,
	}
}
