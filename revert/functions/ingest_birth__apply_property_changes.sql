-- Revert uns_meta:functions/ingest_birth__apply_property_changes from pg
begin;
drop function uns_meta.ingest_birth__apply_property_changes();
commit;
