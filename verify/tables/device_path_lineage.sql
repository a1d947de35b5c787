-- Verify uns_meta:tables/device_path_lineage on pg
begin;
select lineage_id, device_id, old_uns_path, new_uns_path, changed_at, changed_by, reason
  from uns_meta.device_path_lineage where false;
select 1 / count(*) from pg_constraint where conrelid = 'uns_meta.device_path_lineage'::regclass and conname = 'uq_device_lineage';
rollback;
