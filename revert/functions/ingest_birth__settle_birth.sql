-- Revert uns_meta:functions/ingest_birth__settle_birth from pg
begin;
drop function uns_meta.ingest_birth__settle_birth(bigint, boolean, boolean, boolean, integer, boolean);
commit;
