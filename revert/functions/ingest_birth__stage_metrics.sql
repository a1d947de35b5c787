-- Revert uns_meta:functions/ingest_birth__stage_metrics from pg
begin;
drop function uns_meta.ingest_birth__stage_metrics(jsonb, bigint, text, boolean, boolean);
drop function uns_meta.ingest_birth__probes_catalog(bigint);
commit;
