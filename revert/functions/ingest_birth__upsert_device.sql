-- Revert uns_meta:functions/ingest_birth__upsert_device from pg
begin;
drop function uns_meta.ingest_birth__upsert_device(text, text[], text);
drop function uns_meta.device_birth_lock(text, text, text);
commit;
