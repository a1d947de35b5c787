-- pgTAP: uns_meta.refresh_catalog_statistics(), which the worker calls before each sync so that a sync right after
-- a bulk birth is planned with statistics. Which tables it analyzes depends on how much committed births grew them
-- and on last_analyze, which a test inside one transaction cannot produce: that part (and the advisory lock, and a
-- locked table) is test/database/refresh-catalog-statistics.test.ts. Here: its definition, its rights, and that a
-- fresh catalog needs nothing.
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
select plan(8);

select has_function('uns_meta', 'refresh_catalog_statistics', array[]::text[], 'the function exists');
select is_definer('uns_meta', 'refresh_catalog_statistics', array[]::text[], 'it is SECURITY DEFINER (ANALYZE needs the owner)');
select volatility_is('uns_meta', 'refresh_catalog_statistics', array[]::text[], 'volatile', 'it is VOLATILE');
select ok((select proconfig @> array['search_path=pg_catalog, pg_temp'] from pg_proc where oid = 'uns_meta.refresh_catalog_statistics()'::regprocedure),
          'it sets search_path');
select ok((select proconfig @> array['lock_timeout=2s'] from pg_proc where oid = 'uns_meta.refresh_catalog_statistics()'::regprocedure),
          'it waits at most 2 s for a table lock (lock_timeout), then skips the table');
select ok(has_function_privilege('uns_meta_app', 'uns_meta.refresh_catalog_statistics()', 'execute'), 'uns_meta_app (the worker) may call it');
select ok(not has_function_privilege('uns_meta_ro', 'uns_meta.refresh_catalog_statistics()', 'execute'), 'uns_meta_ro may not');
select is(uns_meta.refresh_catalog_statistics(), '{}'::text[], 'a fresh catalog needs no analyze: nothing changed');

select * from finish();
rollback;
