-- Revert uns_meta:functions/ingest_birth__decode_properties from pg
begin;
drop function uns_meta.ingest_birth__decode_properties(jsonb);
commit;
