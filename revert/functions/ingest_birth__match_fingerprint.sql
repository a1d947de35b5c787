-- Revert uns_meta:functions/ingest_birth__match_fingerprint from pg
begin;
drop function uns_meta.ingest_birth__match_fingerprint(bigint, jsonb, integer, boolean, boolean, bytea);
commit;
