-- One row per LLM call (SPEC §7.1), written by pkg/pg's Writer.
--
-- Conventions:
-- * call_id is the key (text: callers' ids, up to 128 bytes, usually UUIDv7);
--   the seed's relations expose it as log_id (0002_views.sql).
-- * NULL means "not known / not seen": status NULL is pending (the response
--   was not seen yet), a NULL token counter was not reported, NULL costs were
--   not priced. usage_missing is NULL when the call has no usage block at all
--   (no response yet), pricing_source NULL when it has no cost block.
-- * Text holds valid UTF-8 without NUL bytes: the writer replaces each NUL and
--   each invalid byte with U+FFFD (PostgreSQL text cannot hold them).
-- * Money is numeric without a fixed scale, so every cost keeps the exact
--   value and scale it was computed with; no float anywhere near money.
-- * Event ids and spool reasons compare byte-wise (COLLATE "C"), as Go does:
--   the merge rule of record.Merge depends on it.
CREATE TABLE calls (
    call_id            text COLLATE "C" PRIMARY KEY,
    hb_trace_id        text,
    trace_id           text,
    span_id            text,
    parent_span_id     text,

    provider           text NOT NULL,
    model              text,
    endpoint           text,
    stream             boolean NOT NULL DEFAULT false,
    started_at         timestamptz NOT NULL,
    tags               jsonb,
    environment        text,

    request_event_id   text COLLATE "C",
    request_body       text,

    response_event_id  text COLLATE "C",
    status             text,
    http_status        integer,
    finished_at        timestamptz,
    latency_ms         double precision,
    ttft_ms            double precision,
    tokens_per_second  double precision,
    served_model       text,
    error_type         text,
    error_message      text,
    response_body      text,

    prompt_tokens      bigint,
    completion_tokens  bigint,
    total_tokens       bigint,
    cached_tokens      bigint,
    reasoning_tokens   bigint,
    cache_write_tokens bigint,
    usage_missing      boolean,
    is_error           boolean,
    usage_provider     text,
    usage_model        text,
    usage_error_message text,
    raw_usage          jsonb,
    parsing_method     text,
    confidence         double precision,
    consistency        text,

    input_cost         numeric,
    output_cost        numeric,
    total_cost         numeric,
    currency           text,
    pricing_source     text,
    pricing_timestamp  timestamptz,
    unit               bigint,
    input_price        numeric,
    cached_input_price numeric,
    cache_write_price  numeric,
    output_price       numeric,

    spool_reason       text COLLATE "C",
    ingested_at        timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT calls_call_id_not_empty CHECK (call_id <> ''),
    CONSTRAINT calls_status_known CHECK (status IN ('success', 'error', 'abandoned')),
    -- Counts are never negative. There is deliberately no
    -- total = prompt + completion check: a vendor total that differs is kept
    -- as reported and flagged by consistency (SPEC §4.4).
    CONSTRAINT calls_tokens_non_negative CHECK (
        prompt_tokens >= 0 AND completion_tokens >= 0 AND total_tokens >= 0 AND
        cached_tokens >= 0 AND reasoning_tokens >= 0 AND cache_write_tokens >= 0),
    -- NULL when any part is NULL (not priced), exact otherwise.
    CONSTRAINT calls_total_cost_is_sum CHECK (total_cost = input_cost + output_cost),
    CONSTRAINT calls_currency_iso CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT calls_pricing_source_known CHECK (pricing_source IN
        ('api_parameter', 'dynamic', 'environment_variable', 'default_config', 'not_found')),
    CONSTRAINT calls_unit_non_negative CHECK (unit >= 0)
);

-- Newest first, and keyset pagination on (started_at, call_id).
CREATE INDEX calls_started_at_idx ON calls (started_at DESC, call_id DESC);
-- Lookups by either trace id (seed §9.5).
CREATE INDEX calls_hb_trace_id_idx ON calls (hb_trace_id);
CREATE INDEX calls_trace_id_idx ON calls (trace_id);
-- Listings and statistics per provider and model.
CREATE INDEX calls_provider_model_idx ON calls (provider, model, started_at DESC);
-- Errors only (small): the errors listing and their retention.
CREATE INDEX calls_errors_idx ON calls (started_at DESC, call_id DESC) WHERE status = 'error';
