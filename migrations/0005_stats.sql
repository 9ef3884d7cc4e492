-- Statistics over many calls (pg.Store.Stats, `harborctl stats`) read every
-- call of a period: keep the heap they scan narrow, and tell the planner how
-- many groups to expect (docs/storage.md, docs/benchmarks.md).

-- Bodies out of line. A row longer than 2 KB (TOAST_TUPLE_THRESHOLD, fixed
-- when PostgreSQL is built) is toasted until it fits toast_tuple_target,
-- largest values first; at the default target (2 KB) one body stays in the
-- heap, at 1024 bytes both bodies move to the TOAST table while the short
-- columns (ids, provider, model, counters, costs) stay inline. A lower
-- target would push those out too (at 512, about 7 values per row). Rows
-- under 2 KB are never toasted, whatever the target. Applies to rows written
-- from now on; VACUUM FULL (or pg_repack) rewrites the existing ones.
ALTER TABLE calls SET (toast_tuple_target = 1024);

-- How many days a period spans: without statistics on the expression
-- Stats groups by, the planner expects a group per call and sorts them all
-- (spilling to disk) instead of hashing a few hundred groups. ANALYZE fills
-- them now rather than at autovacuum's next pass.
CREATE STATISTICS calls_day_stats ON (date_trunc('day', started_at AT TIME ZONE 'UTC')) FROM calls;
ANALYZE calls;
