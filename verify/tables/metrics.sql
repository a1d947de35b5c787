-- Verify uns_meta:tables/metrics on pg
begin;
select metric_id, device_id, name, uns_path, canary_id, datatype, alias, is_historical, is_transient,
       retired_at, version, properties_hash, created_at, updated_at
  from uns_meta.metrics where false;
select 1 / (count(*) = 3)::int from pg_constraint
 where conrelid = 'uns_meta.metrics'::regclass
   and conname in ('uq_metric_spb_identity', 'uq_metrics_uns_path', 'uq_metrics_canary_id');
rollback;
