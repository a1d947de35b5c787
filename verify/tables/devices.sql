-- Verify uns_meta:tables/devices on pg
begin;
select device_id, group_id, edge, device, country, business_unit, plant, uns_path, created_at, updated_at
  from uns_meta.devices where false;
select 1 / (count(*) = 2)::int from pg_constraint
 where conrelid = 'uns_meta.devices'::regclass and conname in ('uq_devices_spb_identity', 'uq_devices_uns_path');
rollback;
