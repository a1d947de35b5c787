-- Revert uns_meta:tables/metrics from pg
begin;
drop table uns_meta.metrics;
commit;
