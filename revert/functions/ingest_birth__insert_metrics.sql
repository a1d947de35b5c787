-- Revert uns_meta:functions/ingest_birth__insert_metrics from pg
begin;
drop function uns_meta.ingest_birth__insert_metrics(bigint, text);
commit;
