-- Revert uns_meta:tables/metric_properties from pg
begin;
drop table uns_meta.metric_properties;
commit;
