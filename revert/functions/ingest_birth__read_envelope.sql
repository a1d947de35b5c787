-- Revert uns_meta:functions/ingest_birth__read_envelope from pg
begin;
drop function uns_meta.ingest_birth__read_envelope(jsonb);
commit;
