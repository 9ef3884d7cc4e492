-- Tables for operations around the calls.

-- Events and records that can never be stored (invalid JSON, an unknown
-- schema, a record PostgreSQL rejects), kept with the reason.
CREATE TABLE quarantine (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id  text,
    call_id   text,
    reason    text NOT NULL,
    detail    text,
    raw       bytea,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quarantine_at_idx ON quarantine (at DESC);
CREATE INDEX quarantine_call_id_idx ON quarantine (call_id);

-- One row per fix made by the consistency checker (SPEC §7.3): a derived
-- field of a call, its value before and after.
CREATE TABLE consistency_audit (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id      text NOT NULL,
    field        text NOT NULL,
    before_value text,
    after_value  text,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consistency_audit_call_id_idx ON consistency_audit (call_id);

-- The health probe's write target: a read-only or frozen server fails the
-- upsert, so the ingestor sees it as unhealthy.
CREATE TABLE harborai_heartbeat (
    id smallint PRIMARY KEY CHECK (id = 1),
    at timestamptz NOT NULL
);
