-- Revert uns_meta:tables/metric_path_lineage from pg
begin;
drop table uns_meta.metric_path_lineage;
commit;
