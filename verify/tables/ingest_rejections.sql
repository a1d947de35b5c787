-- Verify uns_meta:tables/ingest_rejections on pg
begin;
select rejection_id, topic, metric_name, reason, detail, received_at, rejected_at
  from uns_meta.ingest_rejections where false;
rollback;
