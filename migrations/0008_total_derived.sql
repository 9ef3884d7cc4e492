-- Whether total_tokens is the vendor's or was derived (prompt + completion)
-- for a vendor that reports no total (parse.Usage.TotalDerived: Anthropic,
-- among others). The ingestor knew it from the start; calls had no column
-- to keep it, so a stored call did not read back as it was written. Calls
-- stored before this migration keep it NULL.
ALTER TABLE calls ADD COLUMN total_derived boolean;

-- token_usage shows it too (a view may gain columns at its end).
CREATE OR REPLACE VIEW token_usage AS
SELECT call_id            AS log_id,
       prompt_tokens,
       completion_tokens,
       total_tokens,
       cached_tokens,
       reasoning_tokens,
       cache_write_tokens,
       usage_missing,
       is_error,
       parsing_method,
       confidence,
       raw_usage          AS raw_usage_data,
       consistency,
       ingested_at        AS created_at,
       updated_at,
       total_derived
FROM calls
WHERE usage_missing IS NOT NULL;
