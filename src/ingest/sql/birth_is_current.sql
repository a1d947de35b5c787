-- Is this DBIRTH (its fingerprint, src/ingest/fingerprint.ts) what the catalog already holds, under the current
-- path rules? Asked before any JSON is built; true means nothing is sent (docs/sql-api.md#identical-re-births).
select uns_meta.birth_is_current($1, $2::bytea) as current
