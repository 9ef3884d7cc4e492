package pg

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"
)

// PriceRow is one row of dynamic_prices (migrations/0004_pricing.sql): a
// price set at runtime, or a tombstone (Removed) that ends the dynamic price
// of its provider and model from EffectiveFrom on. Prices are per Unit
// tokens; a tombstone has no currency, unit or prices.
type PriceRow struct {
	ID            int64
	Provider      string
	Model         string
	Currency      string
	Unit          int64
	Input         *decimal.Decimal
	CachedInput   *decimal.Decimal
	CacheWrite    *decimal.Decimal
	Output        *decimal.Decimal
	EffectiveFrom time.Time
	Removed       bool
	Note          string
	SetAt         time.Time // when the row was appended (server time)
}

const priceColumns = `id, provider, model, currency, unit, input_price, cached_input_price,
	cache_write_price, output_price, effective_from, removed, note, set_at`

// InsertPrice appends r to dynamic_prices and returns it as stored, with its
// id and set_at. The table's checks reject a row with upper-case names, a
// negative price, a currency that is not three capital letters, or a
// tombstone with prices. It is bounded by the default query timeout.
func InsertPrice(ctx context.Context, pool *pgxpool.Pool, r PriceRow) (PriceRow, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultConfig().QueryTimeout)
	defer cancel()
	row := pool.QueryRow(ctx, `INSERT INTO dynamic_prices (provider, model, currency, unit, input_price,
			cached_input_price, cache_write_price, output_price, effective_from, removed, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		RETURNING `+priceColumns,
		r.Provider, r.Model, optText(r.Currency), optUnit(r.Unit), numeric(r.Input), numeric(r.CachedInput),
		numeric(r.CacheWrite), numeric(r.Output), r.EffectiveFrom, r.Removed, optText(r.Note))
	stored, err := scanPrice(row)
	if err != nil {
		return PriceRow{}, fmt.Errorf("insert dynamic price %s/%s: %w", r.Provider, r.Model, WithSchemaHint(err))
	}
	return stored, nil
}

// ListPrices returns the dynamic price rows of provider and model (either
// empty: all), ordered by provider, model, effective_from and id: the
// history of each model, oldest first. It is bounded by the default query
// timeout.
func ListPrices(ctx context.Context, pool *pgxpool.Pool, provider, model string) ([]PriceRow, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultConfig().QueryTimeout)
	defer cancel()
	var conds []string
	args := pgx.NamedArgs{}
	if provider != "" {
		conds = append(conds, "provider = @provider")
		args["provider"] = provider
	}
	if model != "" {
		conds = append(conds, "model = @model")
		args["model"] = model
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := pool.Query(ctx, "SELECT "+priceColumns+" FROM dynamic_prices"+where+
		" ORDER BY provider, model, effective_from, id", args)
	if err != nil {
		return nil, fmt.Errorf("list dynamic prices: %w", WithSchemaHint(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PriceRow, error) { return scanPrice(r) })
	if err != nil {
		return nil, fmt.Errorf("list dynamic prices: %w", WithSchemaHint(err))
	}
	return out, nil
}

func scanPrice(row pgx.Row) (PriceRow, error) {
	var (
		r                         PriceRow
		currency, note            *string
		unit                      *int64
		in, cached, write, output pgtype.Numeric
	)
	if err := row.Scan(&r.ID, &r.Provider, &r.Model, &currency, &unit, &in, &cached, &write, &output,
		&r.EffectiveFrom, &r.Removed, &note, &r.SetAt); err != nil {
		return PriceRow{}, err
	}
	r.Currency, r.Note = str(currency), str(note)
	if unit != nil {
		r.Unit = *unit
	}
	r.EffectiveFrom, r.SetAt = r.EffectiveFrom.UTC(), r.SetAt.UTC()
	for _, f := range []struct {
		dst **decimal.Decimal
		src pgtype.Numeric
	}{{&r.Input, in}, {&r.CachedInput, cached}, {&r.CacheWrite, write}, {&r.Output, output}} {
		var err error
		if *f.dst, err = toDecimal(f.src); err != nil {
			return PriceRow{}, fmt.Errorf("dynamic price %d: %w", r.ID, err)
		}
	}
	return r, nil
}

// optUnit is the unit column: NULL for a tombstone's zero.
func optUnit(u int64) any {
	if u == 0 {
		return nil
	}
	return u
}

// WithSchemaHint adds what to do to an error about a missing table
// (SQLSTATE 42P01): the migrations that create it were not applied.
func WithSchemaHint(err error) error {
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "42P01" {
		return fmt.Errorf("%w (apply the schema migrations: harborctl db migrate)", err)
	}
	return err
}
