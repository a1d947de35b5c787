-- pgTAP: publication uns_meta_pub, the CDC feed of metrics and metric_properties.
begin;
select plan(18);

select is((select count(*)::int from pg_publication where pubname = 'uns_meta_pub'), 1, 'publication uns_meta_pub exists');
select is((select pubowner::regrole::text from pg_publication where pubname = 'uns_meta_pub'), 'uns_meta_admin',
          'uns_meta_pub is owned by uns_meta_admin');
select results_eq($$select schemaname::text collate "default", tablename::text collate "default" from pg_publication_tables where pubname = 'uns_meta_pub' order by tablename$$,
                  $$values ('uns_meta', 'metric_properties'), ('uns_meta', 'metrics')$$,
                  'uns_meta_pub publishes exactly uns_meta.metrics and uns_meta.metric_properties');
select is((select puballtables from pg_publication where pubname = 'uns_meta_pub'), false, 'uns_meta_pub is not FOR ALL TABLES');
select is((select count(*)::int from pg_publication_namespace pn join pg_publication p on p.oid = pn.pnpubid where p.pubname = 'uns_meta_pub'),
          0, 'uns_meta_pub is not FOR TABLES IN SCHEMA (new tables are not published by accident)');
select results_eq($$select pubinsert, pubupdate, pubdelete from pg_publication where pubname = 'uns_meta_pub'$$,
                  $$values (true, true, true)$$, 'uns_meta_pub publishes INSERT, UPDATE and DELETE');
select is((select pubtruncate from pg_publication where pubname = 'uns_meta_pub'), true,
          'what holds: TRUNCATE is published too (the default; only uns_meta_admin can truncate these tables)');
select is((select pubviaroot from pg_publication where pubname = 'uns_meta_pub'), false, 'uns_meta_pub does not publish via a partition root');
select is((select count(*)::int from pg_publication_rel r join pg_publication p on p.oid = r.prpubid
            where p.pubname = 'uns_meta_pub' and (r.prqual is not null or r.prattrs is not null)), 0,
          'every row and every column is published (no row filter, no column list)');
-- UPDATE and DELETE of a published table need a replica identity: the default one uses the primary key.
select results_eq($$select c.relname::text collate "default", c.relreplident::text, exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary)
                      from pg_class c where c.oid in ('uns_meta.metrics'::regclass, 'uns_meta.metric_properties'::regclass) order by c.relname$$,
                  $$values ('metric_properties', 'd', true), ('metrics', 'd', true)$$,
                  'both published tables have REPLICA IDENTITY DEFAULT backed by a primary key');
select isnt(obj_description((select oid from pg_publication where pubname = 'uns_meta_pub'), 'pg_publication'), null,
            'uns_meta_pub has a comment');

-- The consumer role.
select is((select rolreplication from pg_roles where rolname = 'uns_meta_cdc'), true, 'uns_meta_cdc has the REPLICATION attribute');
select ok(not (select rolreplication from pg_roles where rolname = r), format('%s has no REPLICATION attribute', r))
  from unnest(array['uns_meta_admin', 'uns_meta_app', 'uns_meta_ro']) as r;
set local role uns_meta_cdc;
select lives_ok('select * from uns_meta.metrics, uns_meta.metric_properties limit 1',
                'uns_meta_cdc can read every published table (needed for the initial table sync)');
select throws_ok('select * from uns_meta.devices', '42501', 'permission denied for table devices', 'uns_meta_cdc cannot read devices');
reset role;
select is((with t as materialized (select schemaname, tablename from pg_publication_tables where pubname = 'uns_meta_pub')
          select count(*)::int from t where not has_table_privilege('uns_meta_cdc', format('%I.%I', t.schemaname, t.tablename), 'SELECT')), 0,
          'uns_meta_cdc can SELECT every table of the publication');

select * from finish();
rollback;
