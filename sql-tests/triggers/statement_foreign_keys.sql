-- pgTAP: triggers/statement_foreign_keys. metrics.device_id -> devices and metric_versions.metric_id -> metrics are
-- no longer FOREIGN KEYs checked per row but statement triggers; every guarantee of the foreign keys is tried here:
-- the same 23503 error (message, detail, constraint and column fields) for a missing parent on INSERT and UPDATE,
-- the parent locked FOR KEY SHARE by the writer, ON DELETE CASCADE (and TRUNCATE ... CASCADE), ON UPDATE NO ACTION.
-- That a concurrent DELETE waits for the writer, and a non-key update does not, needs two sessions:
-- test/database/statement-foreign-keys.test.ts.
begin;
\ir ../_session.psql
select plan(47);

-- Is the row locked by this transaction (xmax is the current transaction id)? Rows are created and referenced by
-- plain statements of the top transaction below, so a lock shows as xmax = the top transaction's id.
create function pg_temp.locked_by_me(tbl regclass, key_col text, key bigint) returns boolean language plpgsql as $$
declare x text;
begin
  execute format('select xmax::text from %s where %I = $1', tbl, key_col) using key into x;
  return x = (pg_current_xact_id()::text::bigint % 4294967296)::text;
end $$;

-- Structure -----------------------------------------------------------------------------------------------------
select is((select array_agg(conname::text order by conname) from pg_constraint
            where contype = 'f' and conrelid in ('uns_meta.metrics'::regclass, 'uns_meta.metric_versions'::regclass)),
          null, 'metrics and metric_versions have no FOREIGN KEY (their references are the triggers below)');
-- What the change is for, counted from the catalogue: no foreign key trigger (RI_FKey_check_ins) and no trigger of
-- ours fires per row on an INSERT into metrics or metric_versions. What is left are the internal rechecks of the two
-- deferrable uniques of metrics, which PostgreSQL queues only for a row whose index insert met a possible duplicate.
-- tgtype bits: 1 ROW, 2 BEFORE, 4 INSERT, 8 DELETE, 16 UPDATE, 32 TRUNCATE.
select is((select array_agg(format('%s %s', tgrelid::regclass, tgfoid::regproc) order by 1) from pg_trigger
            where tgrelid in ('uns_meta.metrics'::regclass, 'uns_meta.metric_versions'::regclass) and tgtype & 1 = 1 and tgtype & 4 = 4),
          array['uns_meta.metrics unique_key_recheck', 'uns_meta.metrics unique_key_recheck'],
          'no per-row trigger fires on INSERT into metrics or metric_versions (but the deferrable uniques'' recheck)');
select is((select array_agg(format('%s %s %s %s %s(%s)', tgrelid::regclass, tgname,
                                   case when tgtype & 1 = 1 then 'row' else 'statement' end,
                                   case when tgtype & 4 = 4 then 'insert' when tgtype & 8 = 8 then 'delete'
                                        when tgtype & 16 = 16 then 'update' when tgtype & 32 = 32 then 'truncate' end,
                                   tgfoid::regproc, replace(rtrim(encode(tgargs, 'escape'), '\000'), '\000', ','))
                            order by tgrelid::regclass::text, tgname)
             from pg_trigger
            where tgfoid in ('uns_meta.tg__fk_check'::regproc, 'uns_meta.tg__fk_cascade_delete'::regproc,
                             'uns_meta.tg__fk_no_action_update'::regproc)
              -- canary_sync_state's (a later change): sql-tests/triggers/canary_sync_state_reference.sql
              and tgrelid <> 'uns_meta.canary_sync_state'::regclass and tgname not like '%sync\_state'),
          array['uns_meta.devices _200_delete_metrics statement delete uns_meta.tg__fk_cascade_delete(uns_meta.metrics,device_id,device_id)',
                'uns_meta.devices _200_device_id_referenced row update uns_meta.tg__fk_no_action_update(uns_meta.metrics,device_id,device_id,metrics_device_id_fkey)',
                'uns_meta.devices _200_truncate_metrics statement truncate uns_meta.tg__fk_cascade_delete(uns_meta.metrics,device_id,device_id)',
                'uns_meta.metric_versions _200_metric_exists_insert statement insert uns_meta.tg__fk_check(metric_id,uns_meta.metrics,metric_id,metric_versions_metric_id_fkey)',
                'uns_meta.metric_versions _200_metric_exists_update row update uns_meta.tg__fk_check(metric_id,uns_meta.metrics,metric_id,metric_versions_metric_id_fkey)',
                'uns_meta.metrics _200_delete_versions statement delete uns_meta.tg__fk_cascade_delete(uns_meta.metric_versions,metric_id,metric_id)',
                'uns_meta.metrics _200_device_exists_insert statement insert uns_meta.tg__fk_check(device_id,uns_meta.devices,device_id,metrics_device_id_fkey)',
                'uns_meta.metrics _200_device_exists_update row update uns_meta.tg__fk_check(device_id,uns_meta.devices,device_id,metrics_device_id_fkey)',
                'uns_meta.metrics _200_truncate_versions statement truncate uns_meta.tg__fk_cascade_delete(uns_meta.metric_versions,metric_id,metric_id)'],
          'the nine reference triggers: AFTER, per statement but for an UPDATE of a key, with their arguments');
select is((select array_agg(tgname::text order by tgname) from pg_trigger
            where tgfoid in ('uns_meta.tg__fk_check'::regproc, 'uns_meta.tg__fk_cascade_delete'::regproc, 'uns_meta.tg__fk_no_action_update'::regproc)
              and tgtype & 2 = 2),
          null, 'all of them fire AFTER the statement''s rows are written, like a foreign key');
select is((select array_agg(format('%s %s', tgname, pg_get_triggerdef(oid) ~ 'WHEN \(\(old\.(device|metric)_id IS DISTINCT FROM new\.(device|metric)_id\)\)') order by tgname)
             from pg_trigger where tgname in ('_200_device_exists_update', '_200_metric_exists_update', '_200_device_id_referenced')
              and tgfoid <> 'uns_meta.tg_metric_properties__metric_exists'::regproc),
          array['_200_device_exists_update t', '_200_device_id_referenced t', '_200_metric_exists_update t'],
          'the per-row UPDATE triggers fire only for rows whose key changed (like a foreign key)');
select is((select array_agg(tgname::text order by tgname) from pg_trigger
            where tgname in ('_200_device_exists_insert', '_200_metric_exists_insert', '_200_delete_metrics', '_200_delete_versions')
              and tgfoid <> 'uns_meta.tg_metric_properties__metric_exists'::regproc and coalesce(tgnewtable, tgoldtable) is not null),
          array['_200_delete_metrics', '_200_delete_versions', '_200_device_exists_insert', '_200_metric_exists_insert'],
          'the statement triggers read the statement''s rows from a transition table');
select is((select array_agg(format('%s %s %s %s', proname, prosecdef, provolatile, proconfig::text) order by proname) from pg_proc
            where oid in ('uns_meta.tg__fk_check'::regproc, 'uns_meta.tg__fk_cascade_delete'::regproc, 'uns_meta.tg__fk_no_action_update'::regproc)),
          array['tg__fk_cascade_delete t v {"search_path=pg_catalog, pg_temp"}',
                'tg__fk_check t v {"search_path=pg_catalog, pg_temp"}',
                'tg__fk_no_action_update t v {"search_path=pg_catalog, pg_temp"}'],
          'the functions run as the owner (like a foreign key''s queries), volatile, with a fixed search_path');
select is((select array_agg(proname::text order by proname) from pg_proc
            where oid in ('uns_meta.tg__fk_check'::regproc, 'uns_meta.tg__fk_cascade_delete'::regproc, 'uns_meta.tg__fk_no_action_update'::regproc)
              and (has_function_privilege('uns_meta_app', oid, 'EXECUTE') or has_function_privilege('uns_meta_ro', oid, 'EXECUTE')
                   or has_function_privilege('uns_meta_cdc', oid, 'EXECUTE'))),
          null, 'no service role may call them (a trigger fires without EXECUTE)');
select isnt(col_description('uns_meta.metrics'::regclass, 2), null, 'metrics.device_id has a comment');

-- Data: two devices, metrics on D1, versions of the metrics.
insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'D1', 'G/E/D1'), ('G', 'E', 'D2', 'G/E/D2');
create temp table dev as select device, device_id from uns_meta.devices;
grant select on dev to uns_meta_app;
create function pg_temp.dev(d text) returns bigint language sql as $$ select device_id from dev where device = d $$;
select is(pg_temp.locked_by_me('uns_meta.devices', 'device_id', pg_temp.dev('D1')), false, 'before any metric, device D1 is not locked');
insert into uns_meta.metrics (device_id, name, uns_path, datatype)
  select pg_temp.dev('D1'), n, 'G/E/D1/' || n, 10 from unnest(array['a', 'b', 'c']) as n;
create temp table m as select name, metric_id from uns_meta.metrics where device_id = pg_temp.dev('D1');
grant select on m to uns_meta_app;
create function pg_temp.m(n text) returns bigint language sql as $$ select metric_id from m where name = n $$;

-- metrics.device_id -> devices ------------------------------------------------------------------------------------
select is(pg_temp.locked_by_me('uns_meta.devices', 'device_id', pg_temp.dev('D1')), true,
          'inserting metrics locked their device (FOR KEY SHARE) until the transaction ends');
select is(pg_temp.locked_by_me('uns_meta.devices', 'device_id', pg_temp.dev('D2')), false, '... and no other device');
select is(pg_temp.fk_error_of($$insert into uns_meta.metrics (device_id, name, uns_path, datatype) values (-1, 'orphan', 'G/E/D1/orphan', 10)$$),
          '23503 metrics_device_id_fkey device_id: insert or update on table "metrics" violates foreign key constraint "metrics_device_id_fkey" | Key (device_id)=(-1) is not present in table "devices".',
          'a metric of a missing device: 23503, the foreign key''s message, detail, constraint and column');
select is(pg_temp.fk_error_of($$insert into uns_meta.metrics (device_id, name, uns_path, datatype)
                                select d, 'many' || d, 'G/E/D1/many' || abs(d), 10 from unnest(array[(select pg_temp.dev('D1')), -5, (select pg_temp.dev('D2'))]) as d$$),
          '23503 metrics_device_id_fkey device_id: insert or update on table "metrics" violates foreign key constraint "metrics_device_id_fkey" | Key (device_id)=(-5) is not present in table "devices".',
          'one missing device among several rows of one statement refuses the statement, naming it');
select is((select count(*)::int from uns_meta.metrics where name like 'many%'), 0, '... and none of its rows stays');
select is(pg_temp.fk_error_of(format($$update uns_meta.metrics set device_id = -2 where metric_id = %s$$, pg_temp.m('a'))),
          '23503 metrics_device_id_fkey device_id: insert or update on table "metrics" violates foreign key constraint "metrics_device_id_fkey" | Key (device_id)=(-2) is not present in table "devices".',
          'moving a metric to a missing device: the same 23503');
select is(pg_temp.locked_by_me('uns_meta.devices', 'device_id', pg_temp.dev('D2')), false, 'device D2 is still not locked');
update uns_meta.metrics set device_id = pg_temp.dev('D2') where metric_id = pg_temp.m('c');
select is(pg_temp.locked_by_me('uns_meta.devices', 'device_id', pg_temp.dev('D2')), true,
          'moving a metric to an existing device passes and locks that device');
update uns_meta.metrics set device_id = pg_temp.dev('D1') where metric_id = pg_temp.m('c');
select lives_ok($$update uns_meta.metrics set uns_path = uns_path || '_x', device_id = device_id where name = 'a'$$,
                'an update that leaves device_id as it is passes');
select throws_ok($$insert into uns_meta.metrics (device_id, name, uns_path, datatype) values (null, 'n', 'G/E/D1/n', 10)$$, '23502',
                 'null value in column "device_id" of relation "metrics" violates not-null constraint',
                 'a NULL device_id is still refused by NOT NULL');
set local role uns_meta_app;
select lives_ok($$insert into uns_meta.metrics (device_id, name, uns_path, datatype) select device_id, 'by_app', 'G/E/D2/by_app', 10 from dev where device = 'D2'$$,
                'uns_meta_app inserts a metric (the check locks the device as the owner: the writer needs no right to lock devices)');
select throws_ok($$insert into uns_meta.metrics (device_id, name, uns_path, datatype) values (-3, 'by_app2', 'G/E/D2/by_app2', 10)$$,
                 '23503', 'insert or update on table "metrics" violates foreign key constraint "metrics_device_id_fkey"',
                 'uns_meta_app gets the same 23503 for a missing device');
reset role;
delete from uns_meta.metrics where name = 'by_app';

-- ON UPDATE NO ACTION: a referenced device_id cannot change; one that nothing refers to can.
select is(pg_temp.fk_error_of(format($$update uns_meta.devices set device_id = default where device_id = %s$$, pg_temp.dev('D1'))),
          format('23503 metrics_device_id_fkey -: update or delete on table "devices" violates foreign key constraint "metrics_device_id_fkey" on table "metrics" | Key (device_id)=(%s) is still referenced from table "metrics".', pg_temp.dev('D1')),
          'changing the id of a device that has metrics: 23503, the foreign key''s message (NO ACTION)');
select lives_ok(format($$update uns_meta.devices set device_id = default where device_id = %s$$, pg_temp.dev('D2')),
                'a device without metrics may change its id');
update dev set device_id = (select device_id from uns_meta.devices where device = 'D2') where device = 'D2';
select lives_ok(format($$update uns_meta.devices set plant = 'P' where device_id = %s$$, pg_temp.dev('D1')),
                'updating other columns of a referenced device passes');

-- metric_versions.metric_id -> metrics --------------------------------------------------------------------------
select is(pg_temp.locked_by_me('uns_meta.metrics', 'metric_id', pg_temp.m('b')), false, 'metric b is not locked before it has versions');
insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff) select metric_id, 101, 'created', '{}' from m where name <> 'a';
select is(pg_temp.locked_by_me('uns_meta.metrics', 'metric_id', pg_temp.m('b')), true, 'inserting its version locked metric b (FOR KEY SHARE)');
select is(pg_temp.fk_error_of($$insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff) values (-1, 1, 'created', '{}')$$),
          '23503 metric_versions_metric_id_fkey metric_id: insert or update on table "metric_versions" violates foreign key constraint "metric_versions_metric_id_fkey" | Key (metric_id)=(-1) is not present in table "metrics".',
          'a version of a missing metric: 23503, the foreign key''s message, detail, constraint and column');
select is(pg_temp.fk_error_of($$insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff)
                                select id, 102, 'updated', '{}' from unnest(array[(select pg_temp.m('b')), -9]) as id$$),
          '23503 metric_versions_metric_id_fkey metric_id: insert or update on table "metric_versions" violates foreign key constraint "metric_versions_metric_id_fkey" | Key (metric_id)=(-9) is not present in table "metrics".',
          'one missing metric among the rows of one statement refuses the statement');
select is(pg_temp.fk_error_of(format($$update uns_meta.metric_versions set metric_id = -4 where metric_id = %s$$, pg_temp.m('b'))),
          '23503 metric_versions_metric_id_fkey metric_id: insert or update on table "metric_versions" violates foreign key constraint "metric_versions_metric_id_fkey" | Key (metric_id)=(-4) is not present in table "metrics".',
          'uns_meta_admin moving a version to a missing metric: the same 23503');
select lives_ok(format($$update uns_meta.metric_versions set metric_id = %s where metric_id = %s$$, pg_temp.m('a'), pg_temp.m('b')),
                'uns_meta_admin may move a version to an existing metric');
update uns_meta.metric_versions set metric_id = pg_temp.m('b') where metric_id = pg_temp.m('a');
set local role uns_meta_app;
select lives_ok($$insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff) select metric_id, 101, 'created', '{}' from m where name = 'a'$$,
                'uns_meta_app appends a version');
select throws_ok($$insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff) values (-6, 101, 'created', '{}')$$,
                 '23503', 'insert or update on table "metric_versions" violates foreign key constraint "metric_versions_metric_id_fkey"',
                 'uns_meta_app gets the same 23503 for a missing metric');
reset role;
select is(pg_temp.fk_error_of(format($$update uns_meta.metrics set metric_id = default where metric_id = %s$$, pg_temp.m('b'))),
          format('23503 - -: update on table "metrics": metric_id %s cannot change (metric_properties, versions and lineage refer to it) | ', pg_temp.m('b')),
          'metrics.metric_id never changes (tables/metric_properties), so versions cannot lose their metric that way');

-- ON DELETE CASCADE ---------------------------------------------------------------------------------------------
-- (Written as ingest_birth writes, which versions its own writes: triggers/catalog_changes stays out of this test.)
set local uns_meta.ingest_birth_active = 'on';
insert into uns_meta.metric_properties (metric_id, key, type, spb_type, value_string) select metric_id, 'engUnit', 'string', 12, 'bar' from m;
set local uns_meta.ingest_birth_active = '';
create temp table versions_before as select metric_id, count(*)::int as n from uns_meta.metric_versions group by metric_id;
-- A role that may delete metrics but is not uns_meta_admin: the cascade still takes the append-only versions along
-- (it runs as the owner, as the foreign key's did).
grant delete on uns_meta.metrics to uns_meta_app;
set local role uns_meta_app;
select lives_ok(format($$delete from uns_meta.metrics where metric_id = %s$$, pg_temp.m('a')), 'uns_meta_app (granted DELETE here) deletes metric a');
reset role;
revoke delete on uns_meta.metrics from uns_meta_app;
select results_eq(format($$select (select count(*)::int from uns_meta.metric_versions where metric_id = %1$s),
                                  (select count(*)::int from uns_meta.metric_properties where metric_id = %1$s)$$, pg_temp.m('a')),
                  $$values (0, 0)$$, '... its versions and properties are gone (ON DELETE CASCADE)');
select results_eq($$select metric_id, count(*)::int from uns_meta.metric_versions group by metric_id order by 1$$,
                  format($$select metric_id, n from versions_before where metric_id <> %s order by 1$$, pg_temp.m('a')),
                  '... the versions of the other metrics stay');
select lives_ok(format($$delete from uns_meta.devices where device_id = %s$$, pg_temp.dev('D1')), 'deleting device D1');
select results_eq(format($$select (select count(*)::int from uns_meta.metrics where device_id = %s),
                                  (select count(*)::int from uns_meta.metric_versions where metric_id in (select metric_id from m)),
                                  (select count(*)::int from uns_meta.metric_properties where metric_id in (select metric_id from m))$$,
                         pg_temp.dev('D1')),
                  $$values (0, 0, 0)$$, '... deletes its metrics, and theirs their versions and properties (cascade of a cascade)');

-- TRUNCATE: refused without CASCADE (the other foreign keys of devices and metrics still say so); with CASCADE the
-- metrics and versions go too.
insert into uns_meta.metrics (device_id, name, uns_path, datatype) select pg_temp.dev('D2'), 't', 'G/E/D2/t', 10;
insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff) select metric_id, 1, 'created', '{}' from uns_meta.metrics where name = 't';
select throws_ok($$truncate uns_meta.devices$$, '0A000', 'cannot truncate a table referenced in a foreign key constraint',
                 'TRUNCATE devices without CASCADE is still refused');
select throws_ok($$truncate uns_meta.metrics$$, '0A000', 'cannot truncate a table referenced in a foreign key constraint',
                 'TRUNCATE metrics without CASCADE is still refused');
savepoint before_truncate;
truncate uns_meta.metrics cascade;
select results_eq($$select (select count(*)::int from uns_meta.metrics), (select count(*)::int from uns_meta.metric_versions)$$,
                  $$values (0, 0)$$, 'TRUNCATE metrics CASCADE empties metric_versions');
rollback to savepoint before_truncate;
select is((select count(*)::int from uns_meta.metric_versions join uns_meta.metrics using (metric_id) where name = 't'), 1,
          '(the version is back for the next test)');
truncate uns_meta.devices cascade;
select results_eq($$select (select count(*)::int from uns_meta.devices), (select count(*)::int from uns_meta.metrics), (select count(*)::int from uns_meta.metric_versions)$$,
                  $$values (0, 0, 0)$$, 'TRUNCATE devices CASCADE empties metrics and metric_versions');
truncate uns_meta.devices, uns_meta.metrics cascade;
select pass('TRUNCATE devices and metrics together (the trigger deletes from an already truncated table) passes');

-- The ingest path: a birth writes metrics and first versions through the triggers.
select is((uns_meta.ingest_birth('{"topic": "spBv1.0/G/DBIRTH/E/D9", "payload": {"timestamp": 1, "seq": 0, "metrics": [{"name": "x", "datatype": 10}, {"name": "y", "datatype": 10}]}}') -> 'metrics' ->> 'inserted')::int,
          2, 'ingest_birth creates two metrics');
select results_eq($$select count(*)::int from uns_meta.metric_versions v join uns_meta.metrics m using (metric_id) join uns_meta.devices d using (device_id) where d.device = 'D9'$$,
                  $$values (2)$$, '... with their first versions, all referring to the device''s rows');

select * from finish();
rollback;
