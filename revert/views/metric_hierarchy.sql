-- Revert uns_meta:views/metric_hierarchy from pg
begin;
drop view uns_meta.metric_hierarchy;
commit;
