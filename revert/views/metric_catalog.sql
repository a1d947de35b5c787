-- Revert uns_meta:views/metric_catalog from pg
begin;
drop view uns_meta.metric_catalog;
commit;
