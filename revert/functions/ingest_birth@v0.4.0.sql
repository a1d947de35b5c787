-- Revert uns_meta:functions/ingest_birth from pg
begin;
drop function uns_meta.ingest_birth(jsonb);
drop function uns_meta.ingest_birth_raise_duplicate_key(boolean);
drop function uns_meta.ingest_birth_prepare_session();
commit;
