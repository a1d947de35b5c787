-- Revert uns_meta:functions/ingest_birth__reject_metrics from pg
begin;
drop function uns_meta.ingest_birth__reject_metrics(bigint, integer, text, timestamptz);
commit;
