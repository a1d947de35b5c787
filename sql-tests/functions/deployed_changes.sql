-- pgTAP: functions/deployed_changes, what `uns-meta status` reads as uns_meta_app and uns_meta_ro: the registry's
-- change names of project uns_meta in deploy order, with their tags, without a grant on the registry itself.
begin;
\ir ../_session.psql
select plan(8);

create temp table registry as
  select c.change, coalesce((select array_agg(t.tag order by t.committed_at) from sqitch.tags t where t.change_id = c.change_id), '{}') as tags,
         row_number() over (order by c.committed_at, c.change_id) as n
    from sqitch.changes c where c.project = 'uns_meta';
grant select on registry to uns_meta_app, uns_meta_ro, uns_meta_cdc;

select is((select prosecdef from pg_proc where oid = 'uns_meta.deployed_changes()'::regprocedure), true, 'SECURITY DEFINER');
select is((select provolatile from pg_proc where oid = 'uns_meta.deployed_changes()'::regprocedure), 's', 'STABLE');
select is((select proconfig from pg_proc where oid = 'uns_meta.deployed_changes()'::regprocedure), array['search_path=pg_catalog, pg_temp'], 'search_path pinned');

set local role uns_meta_app;
select throws_ok('select count(*) from sqitch.changes', '42501', null, 'uns_meta_app still cannot read the registry');
select results_eq('select change, tags from uns_meta.deployed_changes()', 'select change, tags from registry order by n',
                  'uns_meta_app reads the deployed changes, in deploy order, with their tags');
select ok((select tags from uns_meta.deployed_changes() where change = 'functions/refresh_catalog_statistics' and tags <> '{}') = array['@v0.4.0'],
          'the release tag is on the change it follows');
reset role;
set local role uns_meta_ro;
select is((select count(*) from uns_meta.deployed_changes()), (select count(*) from registry), 'uns_meta_ro reads them too');
reset role;
set local role uns_meta_cdc;
select throws_ok('select * from uns_meta.deployed_changes()', '42501', null, 'uns_meta_cdc may not');
reset role;

select * from finish();
rollback;
