-- Revert uns_meta:tables/metric_properties from pg
begin;
drop trigger _200_delete_properties on uns_meta.metrics;
drop trigger _200_truncate_properties on uns_meta.metrics;
drop trigger _200_metric_id_immutable on uns_meta.metrics;
drop table uns_meta.metric_properties;
drop function uns_meta.tg_metric_properties__metric_exists();
drop function uns_meta.tg_metrics__delete_properties();
drop function uns_meta.tg_metrics__metric_id_immutable();
commit;
