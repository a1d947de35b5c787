-- pgTAP: uns_meta.canary_sync_state, what Canary confirmed per metric.
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
select plan(14);

select has_table('uns_meta', 'canary_sync_state', 'table uns_meta.canary_sync_state exists');
select columns_are('uns_meta', 'canary_sync_state',
                   array['metric_id', 'confirmed_version', 'confirmed_at', 'canary_tag', 'written_version', 'outcome', 'changed_at'],
                   'it has exactly its columns');
select col_is_pk('uns_meta', 'canary_sync_state', 'metric_id', 'one row per metric');
select is((select array_agg(tgname::text order by tgname) from pg_trigger
            where tgrelid = 'uns_meta.canary_sync_state'::regclass and tgname like '\_200\_sync\_state\_metric\_exists%'),
          array['_200_sync_state_metric_exists_insert', '_200_sync_state_metric_exists_update'],
          'metric_id references metrics through statement triggers, ON DELETE CASCADE (sql-tests/triggers/canary_sync_state_reference.sql)');
select is((select array_agg(attname::text order by attnum) from pg_attribute
            where attrelid = 'uns_meta.canary_sync_state'::regclass and attnum > 0 and not attisdropped
              and coalesce(col_description(attrelid, attnum), '') = ''), null, 'every column has a comment');
select table_privs_are('uns_meta', 'canary_sync_state', 'uns_meta_app', array['INSERT', 'SELECT', 'UPDATE'], 'the worker (uns_meta_app) records confirmations, never deletes');
select table_privs_are('uns_meta', 'canary_sync_state', 'uns_meta_ro', array['SELECT'], 'analysts read it');
select table_privs_are('uns_meta', 'canary_sync_state', 'uns_meta_cdc', array[]::text[], 'uns_meta_cdc has no privilege on it');

insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'D', 'G/E/D');
insert into uns_meta.metrics (device_id, name, uns_path, datatype)
  select device_id, 'm', 'G/E/D/m', 10 from uns_meta.devices where uns_path = 'G/E/D';
select throws_ok($$insert into uns_meta.canary_sync_state (metric_id, confirmed_version, outcome)
                   select metric_id, 1, 'maybe' from uns_meta.metrics where uns_path = 'G/E/D/m'$$, '23514', null, 'an unknown outcome is refused');
select throws_ok($$insert into uns_meta.canary_sync_state (metric_id, confirmed_version, outcome, written_version)
                   select metric_id, 2, 'written', 3 from uns_meta.metrics where uns_path = 'G/E/D/m'$$, '23514', null,
                 'written_version cannot be later than the confirmed version');
select throws_ok($$insert into uns_meta.canary_sync_state (metric_id, confirmed_version, outcome, written_version)
                   select metric_id, 2, 'written', 0 from uns_meta.metrics where uns_path = 'G/E/D/m'$$, '23514', null,
                 'written_version is a version (>= 1)');
select lives_ok($$insert into uns_meta.canary_sync_state (metric_id, confirmed_version, outcome, canary_tag, written_version)
                  select metric_id, 2, 'retired', 'G.E.D.m', 1 from uns_meta.metrics where uns_path = 'G/E/D/m'$$,
                'a confirmation is recorded (written_version before the confirmed version: a retirement wrote nothing)');
select is((select written_version from uns_meta.canary_sync_state), 1, 'with its written_version');
delete from uns_meta.metrics where uns_path = 'G/E/D/m';
select is((select count(*)::int from uns_meta.canary_sync_state), 0, 'deleting the metric deletes its state');

select * from finish();
rollback;
