-- Revert uns_meta:functions/refresh_catalog_statistics from pg
begin;
drop function uns_meta.refresh_catalog_statistics();
commit;
