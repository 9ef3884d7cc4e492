package pg

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/harborai/ingest/pkg/cost"
	"github.com/harborai/ingest/pkg/parse"
)

// RepriceFilter selects the calls to re-price: those with a cost block (a
// response was seen) started in [Since, Until). Provider and Model compare
// case-insensitively; Model is the model the call was priced as (the
// request's, else the one the vendor reported). Zero fields do not filter.
type RepriceFilter struct {
	Since, Until time.Time
	Provider     string
	Model        string
}

// PricedCall is what re-pricing needs of a stored call: what it was priced
// by (provider, model, start time, token counters) and its stored cost.
type PricedCall struct {
	CallID          string
	Provider        string
	Model           string // the model column, else usage_model
	ServedModel     string // served_model, else usage_model: the model the response reports
	StartedAt       time.Time
	ResponseEventID string
	// Usage holds the stored counters only (the raw usage is not read).
	Usage parse.Usage
	Cost  cost.Info
}

// CostUpdate replaces the stored cost of Call (as read by ListPricedCalls)
// with New.
type CostUpdate struct {
	Call PricedCall
	New  cost.Info
}

// AuditNote is written with every audit row of one re-pricing run.
type AuditNote struct {
	RunID  string // groups the rows of one run
	Reason string // why the calls were re-priced
}

const pricedCallColumns = `call_id, provider, coalesce(model, usage_model), coalesce(served_model, usage_model), started_at, response_event_id,
	prompt_tokens, completion_tokens, total_tokens, cached_tokens, reasoning_tokens, cache_write_tokens,
	input_cost, output_cost, total_cost, currency, pricing_source, pricing_timestamp, unit,
	input_price, cached_input_price, cache_write_price, output_price, pricing_error`

// CountPricedCalls counts the calls f selects, bounded by the default query
// timeout.
func CountPricedCalls(ctx context.Context, pool *pgxpool.Pool, f RepriceFilter) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultConfig().QueryTimeout)
	defer cancel()
	where, args := f.where(nil)
	var n int64
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM calls"+where, args).Scan(&n); err != nil {
		return 0, fmt.Errorf("count priced calls: %w", WithSchemaHint(err))
	}
	return n, nil
}

// ListPricedCalls returns up to limit calls f selects, in (started_at,
// call_id) order, after the cursor when it is set: the batches of a
// re-pricing run. It is bounded by the default query timeout.
func ListPricedCalls(ctx context.Context, pool *pgxpool.Pool, f RepriceFilter, after *Cursor, limit int) ([]PricedCall, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultConfig().QueryTimeout)
	defer cancel()
	where, args := f.where(after)
	args["limit"] = limit
	rows, err := pool.Query(ctx, "SELECT "+pricedCallColumns+" FROM calls"+where+
		" ORDER BY started_at, call_id LIMIT @limit", args)
	if err != nil {
		return nil, fmt.Errorf("list priced calls: %w", err)
	}
	calls, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PricedCall, error) { return scanPricedCall(r) })
	if err != nil {
		return nil, fmt.Errorf("list priced calls: %w", err)
	}
	return calls, nil
}

func (f RepriceFilter) where(after *Cursor) (string, pgx.NamedArgs) {
	conds := []string{"pricing_source IS NOT NULL"}
	args := pgx.NamedArgs{}
	if !f.Since.IsZero() {
		conds = append(conds, "started_at >= @since")
		args["since"] = f.Since
	}
	if !f.Until.IsZero() {
		conds = append(conds, "started_at < @until")
		args["until"] = f.Until
	}
	if f.Provider != "" {
		conds = append(conds, "lower(provider) = @provider")
		args["provider"] = strings.ToLower(strings.TrimSpace(f.Provider))
	}
	if f.Model != "" {
		// The requested model, or the served one: a call whose requested
		// name has no price is priced by the model that served it.
		conds = append(conds, "(lower(coalesce(model, usage_model)) = @model OR lower(coalesce(served_model, usage_model)) = @model)")
		args["model"] = strings.ToLower(strings.TrimSpace(f.Model))
	}
	if after != nil {
		conds = append(conds, "(started_at, call_id) > (@after_started_at, @after_call_id)")
		args["after_started_at"], args["after_call_id"] = after.StartedAt, after.CallID
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func scanPricedCall(row pgx.Row) (PricedCall, error) {
	var (
		c             PricedCall
		model, served *string
		respEvent     *string
		cs            costScan
		u             = &c.Usage
	)
	targets := []any{&c.CallID, &c.Provider, &model, &served, &c.StartedAt, &respEvent,
		&u.PromptTokens, &u.CompletionTokens, &u.TotalTokens, &u.CachedTokens, &u.ReasoningTokens, &u.CacheWriteTokens}
	if err := row.Scan(append(targets, cs.targets(&c.Cost.PricingSource)...)...); err != nil {
		return PricedCall{}, err
	}
	c.Model, c.ServedModel, c.ResponseEventID, c.StartedAt = str(model), str(served), str(respEvent), c.StartedAt.UTC()
	if err := cs.fill(&c.Cost); err != nil {
		return PricedCall{}, fmt.Errorf("call %s: %w", c.CallID, err)
	}
	return c, nil
}

// updateCostSQL replaces one call's cost, if the call still has the
// response and the cost it was read with, and records the previous and new
// figures in reprice_audit in the same statement: an audit row exists
// exactly when the call changed.
const updateCostSQL = `WITH changed AS (
	UPDATE calls SET
		input_cost = @new_input_cost::numeric, output_cost = @new_output_cost::numeric,
		total_cost = @new_total_cost::numeric, currency = @new_currency::text,
		pricing_source = @new_pricing_source::text, pricing_timestamp = @new_pricing_timestamp::timestamptz,
		unit = @new_unit::bigint, input_price = @new_input_price::numeric,
		cached_input_price = @new_cached_input_price::numeric, cache_write_price = @new_cache_write_price::numeric,
		output_price = @new_output_price::numeric, pricing_error = @new_pricing_error::text, updated_at = now()
	 WHERE call_id = @call_id
	   AND response_event_id IS NOT DISTINCT FROM @response_event_id::text
	   AND input_cost IS NOT DISTINCT FROM @old_input_cost::numeric
	   AND output_cost IS NOT DISTINCT FROM @old_output_cost::numeric
	   AND total_cost IS NOT DISTINCT FROM @old_total_cost::numeric
	   AND currency IS NOT DISTINCT FROM @old_currency::text
	   AND pricing_source IS NOT DISTINCT FROM @old_pricing_source::text
	   AND coalesce(unit, 0) = @old_unit::bigint
	   AND input_price IS NOT DISTINCT FROM @old_input_price::numeric
	   AND cached_input_price IS NOT DISTINCT FROM @old_cached_input_price::numeric
	   AND cache_write_price IS NOT DISTINCT FROM @old_cache_write_price::numeric
	   AND output_price IS NOT DISTINCT FROM @old_output_price::numeric
	RETURNING call_id)
INSERT INTO reprice_audit (run_id, call_id, reason,
	old_input_cost, old_output_cost, old_total_cost, old_currency, old_pricing_source, old_pricing_timestamp,
	old_unit, old_input_price, old_cached_input_price, old_cache_write_price, old_output_price,
	new_input_cost, new_output_cost, new_total_cost, new_currency, new_pricing_source, new_pricing_timestamp,
	new_unit, new_input_price, new_cached_input_price, new_cache_write_price, new_output_price)
SELECT @run_id::text, call_id, @reason::text,
	@old_input_cost, @old_output_cost, @old_total_cost, @old_currency, @old_pricing_source,
	@old_pricing_timestamp::timestamptz, @old_unit, @old_input_price, @old_cached_input_price,
	@old_cache_write_price, @old_output_price,
	@new_input_cost, @new_output_cost, @new_total_cost, @new_currency, @new_pricing_source,
	@new_pricing_timestamp, @new_unit, @new_input_price, @new_cached_input_price,
	@new_cache_write_price, @new_output_price
  FROM changed`

// UpdateCosts writes updates in one transaction, bounded by the default
// query timeout: each call that still has the response and the cost it was
// read with gets its new cost, and an audit row (reprice_audit) with the
// previous and the new figures. A call changed since it was read (a late
// response, another re-pricing run) is left alone; running the selection
// again handles it. applied[i] says whether updates[i] was written.
func UpdateCosts(ctx context.Context, pool *pgxpool.Pool, updates []CostUpdate, note AuditNote) (applied []bool, err error) {
	if len(updates) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultConfig().QueryTimeout)
	defer cancel()
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		applied = make([]bool, len(updates))
		b := &pgx.Batch{}
		for i := range updates {
			b.Queue(updateCostSQL, updateArgs(&updates[i], note))
		}
		res := tx.SendBatch(ctx, b)
		for i := range updates {
			tag, err := res.Exec()
			if err != nil {
				_ = res.Close()
				return fmt.Errorf("call %s: %w", updates[i].Call.CallID, err)
			}
			applied[i] = tag.RowsAffected() == 1
		}
		return res.Close()
	})
	if err != nil {
		return nil, fmt.Errorf("update costs of %d calls: %w", len(updates), WithSchemaHint(err))
	}
	return applied, nil
}

func updateArgs(u *CostUpdate, note AuditNote) pgx.NamedArgs {
	args := pgx.NamedArgs{
		"call_id":           cleanText(u.Call.CallID),
		"response_event_id": optText(u.Call.ResponseEventID),
		"run_id":            note.RunID,
		"reason":            note.Reason,
	}
	for prefix, k := range map[string]*cost.Info{"old_": &u.Call.Cost, "new_": &u.New} {
		var pricedAt any
		if !k.PricingTimestamp.IsZero() {
			pricedAt = k.PricingTimestamp
		}
		args[prefix+"input_cost"] = numeric(k.InputCost)
		args[prefix+"output_cost"] = numeric(k.OutputCost)
		args[prefix+"total_cost"] = numeric(k.TotalCost)
		args[prefix+"currency"] = optText(k.Currency)
		args[prefix+"pricing_source"] = optText(k.PricingSource)
		args[prefix+"pricing_timestamp"] = pricedAt
		args[prefix+"unit"] = k.Unit // stored as written by callRow: 0 when unpriced
		args[prefix+"input_price"] = numeric(k.InputPrice)
		args[prefix+"cached_input_price"] = numeric(k.CachedInputPrice)
		args[prefix+"cache_write_price"] = numeric(k.CacheWritePrice)
		args[prefix+"output_price"] = numeric(k.OutputPrice)
		args[prefix+"pricing_error"] = optText(k.PricingError)
	}
	return args
}
