-- Revert uns_meta:functions/ingest_birth__reset_staging from pg
begin;
drop function uns_meta.ingest_birth__reset_staging(bigint, text, integer);
commit;
