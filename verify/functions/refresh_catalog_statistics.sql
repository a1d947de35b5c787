-- Verify uns_meta:functions/refresh_catalog_statistics on pg
begin;
select has_function_privilege('uns_meta_app', 'uns_meta.refresh_catalog_statistics()', 'execute');
-- the reworked version waits for writers (SHARE lock) before analyzing
select 1 / (prosrc like '%in share mode%')::int from pg_proc where oid = 'uns_meta.refresh_catalog_statistics()'::regprocedure;
rollback;
