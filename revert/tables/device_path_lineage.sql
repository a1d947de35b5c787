-- Revert uns_meta:tables/device_path_lineage from pg
begin;
drop table uns_meta.device_path_lineage;
commit;
