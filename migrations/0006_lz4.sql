-- Compress bodies and raw usage with LZ4 rather than pglz (PostgreSQL 14 and
-- later, when the server is built with it, as Debian's, Ubuntu's, the PGDG
-- packages and the official images are). Every row carries two bodies that
-- are compressed as it is written (0005 moves them out of line): with pglz
-- that compression was the largest single item of PostgreSQL's CPU in a
-- bulk load (docs/benchmarks.md), and LZ4 compresses and decompresses
-- several times faster for a few percent more space. Applies to values
-- written from now on; existing ones stay pglz and stay readable. A server
-- without LZ4 refuses the method: calls then keep pglz, and the migration
-- still succeeds.
DO $$
BEGIN
    ALTER TABLE calls
        ALTER COLUMN request_body SET COMPRESSION lz4,
        ALTER COLUMN response_body SET COMPRESSION lz4,
        ALTER COLUMN raw_usage SET COMPRESSION lz4,
        ALTER COLUMN tags SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this server has no lz4: calls keeps pglz (%)', SQLERRM;
END
$$;
