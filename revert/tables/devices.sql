-- Revert uns_meta:tables/devices from pg
begin;
drop table uns_meta.devices;
commit;
