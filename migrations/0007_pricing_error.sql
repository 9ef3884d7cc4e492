-- Why a call with a price has no cost (cost.Info.PricingError): an unusable
-- custom_pricing (unknown currency), token counts that contradict each
-- other. The ingestor computed it from the start; calls had no column to
-- keep it, so an operator saw a NULL cost and no reason. Calls stored before
-- this migration keep it NULL.
ALTER TABLE calls ADD COLUMN pricing_error text;

-- cost_info shows it too (a view may gain columns at its end).
CREATE OR REPLACE VIEW cost_info AS
SELECT call_id AS log_id,
       input_cost,
       output_cost,
       total_cost,
       currency,
       pricing_source,
       pricing_timestamp,
       unit,
       input_price,
       cached_input_price,
       cache_write_price,
       output_price,
       ingested_at AS created_at,
       updated_at,
       pricing_error
FROM calls
WHERE pricing_source IS NOT NULL;
