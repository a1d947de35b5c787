-- Revert uns_meta:tables/metric_versions from pg
begin;
drop table uns_meta.metric_versions;
commit;
