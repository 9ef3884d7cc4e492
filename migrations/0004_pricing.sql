-- Dynamic prices and the re-pricing audit trail (SPEC §5, §10; docs/pricing.md).

-- Prices set at runtime by `harborctl pricing set` (pricing source
-- "dynamic"), with their history. Rows are only ever appended: a new price
-- is a new row, and `harborctl pricing unset` appends a tombstone
-- (removed = true, no prices) that ends the dynamic price from its
-- effective_from on, so the calls after it fall back to the price variables
-- and the builtin table. The row in effect for a call at time t is the one
-- of its (provider, model) with the latest effective_from <= t; of rows with
-- the same effective_from, the one set last (highest id).
CREATE TABLE dynamic_prices (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider           text NOT NULL,
    model              text NOT NULL,
    currency           text,
    unit               bigint,
    input_price        numeric,
    cached_input_price numeric,
    cache_write_price  numeric,
    output_price       numeric,
    effective_from     timestamptz NOT NULL,
    removed            boolean NOT NULL DEFAULT false,
    note               text,
    set_at             timestamptz NOT NULL DEFAULT now(),

    -- Names as the pricer compares them: lower case, trimmed, not empty.
    CONSTRAINT dynamic_prices_provider_lower CHECK (provider <> '' AND provider = lower(btrim(provider))),
    CONSTRAINT dynamic_prices_model_lower CHECK (model <> '' AND model = lower(btrim(model))),
    -- A price states its currency, unit, input and output prices; a
    -- tombstone states none.
    CONSTRAINT dynamic_prices_price_or_tombstone CHECK (
        CASE WHEN removed
             THEN currency IS NULL AND unit IS NULL AND input_price IS NULL AND output_price IS NULL
                  AND cached_input_price IS NULL AND cache_write_price IS NULL
             ELSE currency IS NOT NULL AND unit IS NOT NULL AND input_price IS NOT NULL AND output_price IS NOT NULL
                  AND currency ~ '^[A-Z]{3}$' AND unit > 0 AND input_price >= 0 AND output_price >= 0
                  AND coalesce(cached_input_price, 0) >= 0 AND coalesce(cache_write_price, 0) >= 0
        END)
);
CREATE INDEX dynamic_prices_model_idx ON dynamic_prices (provider, model, effective_from, id);

-- The history is append-only: fixing a price is setting a new one.
CREATE FUNCTION dynamic_prices_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'dynamic_prices is append-only: set a new price (harborctl pricing set) instead of changing one'
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER dynamic_prices_append_only BEFORE UPDATE OR DELETE ON dynamic_prices
    FOR EACH ROW EXECUTE FUNCTION dynamic_prices_append_only();

-- One row per call whose cost `harborctl pricing reprice` changed: the
-- figures before and after, written in the same transaction as the change.
-- No foreign key: the trail outlives the calls that retention deletes.
CREATE TABLE reprice_audit (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id                 text NOT NULL,
    call_id                text COLLATE "C" NOT NULL,
    repriced_at            timestamptz NOT NULL DEFAULT now(),
    reason                 text NOT NULL,

    old_input_cost         numeric,
    old_output_cost        numeric,
    old_total_cost         numeric,
    old_currency           text,
    old_pricing_source     text,
    old_pricing_timestamp  timestamptz,
    old_unit               bigint,
    old_input_price        numeric,
    old_cached_input_price numeric,
    old_cache_write_price  numeric,
    old_output_price       numeric,

    new_input_cost         numeric,
    new_output_cost        numeric,
    new_total_cost         numeric,
    new_currency           text,
    new_pricing_source     text,
    new_pricing_timestamp  timestamptz,
    new_unit               bigint,
    new_input_price        numeric,
    new_cached_input_price numeric,
    new_cache_write_price  numeric,
    new_output_price       numeric
);
CREATE INDEX reprice_audit_call_id_idx ON reprice_audit (call_id, repriced_at);
CREATE INDEX reprice_audit_run_id_idx ON reprice_audit (run_id);
