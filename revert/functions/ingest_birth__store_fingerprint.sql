-- Revert uns_meta:functions/ingest_birth__store_fingerprint from pg
begin;
drop function uns_meta.ingest_birth__store_fingerprint(bigint, bytea);
commit;
