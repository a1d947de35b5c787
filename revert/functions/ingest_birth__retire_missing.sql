-- Revert uns_meta:functions/ingest_birth__retire_missing from pg
begin;
drop function uns_meta.ingest_birth__retire_missing(bigint, text, integer, timestamptz, text);
commit;
