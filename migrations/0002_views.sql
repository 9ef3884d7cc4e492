-- The seed's relations (SPEC §7.2), as views over calls keyed by log_id
-- (= call_id): one table keeps the write path to one COPY and one INSERT.

-- Operator settings read by SQL, e.g. the APM link bases:
--   apm.jaeger_base_url  (http://jaeger:16686  -> {base}/trace/{otel_trace_id})
--   apm.zipkin_base_url  (http://zipkin:9411   -> {base}/zipkin/traces/{otel_trace_id})
CREATE TABLE harborai_settings (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE VIEW api_logs AS
SELECT call_id                     AS id,
       call_id                     AS log_id,
       hb_trace_id                 AS trace_id,
       provider,
       model,
       served_model,
       endpoint,
       stream,
       coalesce(status, 'pending') AS status,
       http_status,
       error_type,
       error_message,
       request_body                AS request_data,
       response_body               AS response_data,
       started_at                  AS "timestamp",
       started_at,
       finished_at,
       environment,
       tags,
       spool_reason,
       ingested_at                 AS created_at,
       updated_at
FROM calls;

CREATE VIEW token_usage AS
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
       updated_at
FROM calls
WHERE usage_missing IS NOT NULL;

CREATE VIEW cost_info AS
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
       updated_at
FROM calls
WHERE pricing_source IS NOT NULL;

CREATE VIEW tracing_info AS
SELECT call_id                      AS log_id,
       hb_trace_id,
       trace_id                     AS otel_trace_id,
       span_id,
       parent_span_id,
       'ai.chat.completion'::text   AS operation_name,
       started_at                   AS start_time,
       finished_at                  AS end_time,
       coalesce(status, 'pending')  AS status,
       -- SPEC §6: only tags that were supplied; nothing random or hard-coded.
       jsonb_strip_nulls(jsonb_build_object(
           'ai.system',    provider,
           'request.id',   tags ->> 'request_id',
           'user.session', tags ->> 'session_id',
           'environment',  environment,
           'service.name', tags ->> 'service'))  AS tags
FROM calls;

CREATE VIEW performance_metrics AS
SELECT call_id           AS log_id,
       latency_ms,
       ttft_ms,
       ttft_ms           AS first_token_latency_ms,
       tokens_per_second,
       ingested_at       AS created_at
FROM calls
WHERE response_event_id IS NOT NULL;

-- Seed §9.5: a call by either trace id, with APM links built from the
-- configured bases (NULL when a base is not set).
CREATE FUNCTION get_log_by_any_trace_id(trace_id_input text)
RETURNS TABLE (
    log_id          text,
    hb_trace_id     text,
    otel_trace_id   text,
    span_id         text,
    provider        text,
    model           text,
    total_cost      numeric,
    currency        text,
    apm_jaeger_link text,
    apm_zipkin_link text
)
LANGUAGE sql STABLE
AS $$
    SELECT c.call_id,
           c.hb_trace_id,
           c.trace_id,
           c.span_id,
           c.provider,
           c.model,
           c.total_cost,
           c.currency,
           (SELECT rtrim(s.value, '/') || '/trace/' || c.trace_id
              FROM harborai_settings s
             WHERE s.key = 'apm.jaeger_base_url' AND s.value <> ''),
           (SELECT rtrim(s.value, '/') || '/zipkin/traces/' || c.trace_id
              FROM harborai_settings s
             WHERE s.key = 'apm.zipkin_base_url' AND s.value <> '')
      FROM calls c
     WHERE c.hb_trace_id = trace_id_input
        OR c.trace_id = trace_id_input
     ORDER BY c.started_at, c.call_id
$$;
