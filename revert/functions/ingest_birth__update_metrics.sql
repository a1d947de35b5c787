-- Revert uns_meta:functions/ingest_birth__update_metrics from pg
begin;
drop function uns_meta.ingest_birth__update_metrics(text, integer);
commit;
