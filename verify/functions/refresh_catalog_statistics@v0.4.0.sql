-- Verify uns_meta:functions/refresh_catalog_statistics on pg
begin;
select has_function_privilege('uns_meta_app', 'uns_meta.refresh_catalog_statistics()', 'execute');
rollback;
