-- pgTAP: uns_meta.devices.
-- Timestamps: see sql-tests/functions/tg__timestamps.sql for why rows get explicit past timestamps.
begin;
\ir ../_session.psql
select plan(100);

-- Structure.
select has_table('uns_meta', 'devices', 'table uns_meta.devices exists');
select table_owner_is('uns_meta', 'devices', 'uns_meta_admin', 'devices is owned by uns_meta_admin');
select columns_are('uns_meta', 'devices',
  array['device_id', 'group_id', 'edge', 'device', 'country', 'business_unit', 'plant', 'uns_path', 'path_rules_version',
        'created_at', 'updated_at'],
  'devices has exactly its eleven columns');
select col_type_is('uns_meta', 'devices', c, t, format('devices.%s is %s', c, t))
  from (values ('device_id', 'bigint'), ('group_id', 'text'), ('edge', 'text'), ('device', 'text'), ('country', 'text'),
               ('business_unit', 'text'), ('plant', 'text'), ('uns_path', 'text'), ('path_rules_version', 'text'),
               ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone')) as t(c, t);
select col_not_null('uns_meta', 'devices', c, format('devices.%s is NOT NULL', c))
  from unnest(array['device_id', 'group_id', 'edge', 'device', 'uns_path', 'created_at', 'updated_at']) as c;
select col_is_null('uns_meta', 'devices', c, format('devices.%s is nullable', c))
  from unnest(array['country', 'business_unit', 'plant', 'path_rules_version']) as c;
select col_default_is('uns_meta', 'devices', 'created_at', 'now()', 'devices.created_at defaults to now()');
select col_default_is('uns_meta', 'devices', 'updated_at', 'now()', 'devices.updated_at defaults to now()');
select is((select attidentity::text from pg_attribute where attrelid = 'uns_meta.devices'::regclass and attname = 'device_id'),
          'a', 'devices.device_id is GENERATED ALWAYS AS IDENTITY');
select has_pk('uns_meta', 'devices', 'devices has a primary key');
select col_is_pk('uns_meta', 'devices', 'device_id', 'devices primary key is (device_id)');
select col_is_unique('uns_meta', 'devices', array['group_id', 'edge', 'device'], 'devices (group_id, edge, device) is unique');
select col_is_unique('uns_meta', 'devices', array['uns_path'], 'devices (uns_path) is unique');
select bag_eq($$select conname::text, contype::text from pg_constraint where conrelid = 'uns_meta.devices'::regclass and contype <> 'n'$$,
              $$values ('devices_pkey', 'p'), ('uq_devices_spb_identity', 'u'), ('uq_devices_uns_path', 'u'),
                       ('chk_devices_spb_ids', 'c'), ('chk_devices_uns_path', 'c')$$,
              'devices has exactly the ERD''s constraints plus its checks');
select indexes_are('uns_meta', 'devices', array['devices_pkey', 'uq_devices_spb_identity', 'uq_devices_uns_path'],
                   'devices has exactly the indexes of its key and unique constraints');
select triggers_are('uns_meta', 'devices', array['_100_timestamps', '_200_delete_metrics', '_200_truncate_metrics', '_200_device_id_referenced'],
                    'devices has exactly its triggers (timestamps; the reference of metrics, triggers/statement_foreign_keys)');
select has_trigger('uns_meta', 'devices', '_100_timestamps', 'devices has trigger _100_timestamps');
select trigger_is('uns_meta', 'devices', '_100_timestamps', 'uns_meta', 'tg__timestamps', '_100_timestamps calls tg__timestamps()');
select is((select tgtype::int from pg_trigger where tgrelid = 'uns_meta.devices'::regclass and tgname = '_100_timestamps'),
          1 | 2 | 16, '_100_timestamps fires BEFORE UPDATE FOR EACH ROW');
select isnt(obj_description('uns_meta.devices'::regclass, 'pg_class'), null, 'devices has a table comment');
select is((select array_agg(attname::text order by attnum) from pg_attribute
            where attrelid = 'uns_meta.devices'::regclass and attnum > 0 and not attisdropped
              and coalesce(col_description(attrelid, attnum), '') = ''),
          null, 'every column of devices has a comment');

-- Privileges (catalogue).
select table_privs_are('uns_meta', 'devices', 'uns_meta_admin',
                       array['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE'], 'uns_meta_admin owns devices');
select table_privs_are('uns_meta', 'devices', 'uns_meta_app', array['INSERT', 'SELECT', 'UPDATE'],
                       'uns_meta_app may read, insert and update devices (no delete)');
select table_privs_are('uns_meta', 'devices', 'uns_meta_ro', array['SELECT'], 'uns_meta_ro may only read devices');
select table_privs_are('uns_meta', 'devices', 'uns_meta_cdc', array[]::text[], 'uns_meta_cdc has no privilege on devices (not published)');
select table_privs_are('uns_meta', 'devices', 'public', array[]::text[], 'PUBLIC has no privilege on devices');

-- Grants, by SET ROLE.
set local role uns_meta_app;
select lives_ok($$insert into uns_meta.devices (group_id, edge, device, uns_path)
                  values ('Secil', 'Portugal', 'Cement', 'Secil/Portugal/Cement')$$, 'uns_meta_app can insert a device');
select is((select count(*)::int from uns_meta.devices where uns_path = 'Secil/Portugal/Cement'), 1, 'uns_meta_app can read devices');
select lives_ok($$update uns_meta.devices set plant = 'Outão' where uns_path = 'Secil/Portugal/Cement'$$, 'uns_meta_app can update a device');
select throws_ok($$delete from uns_meta.devices where uns_path = 'Secil/Portugal/Cement'$$, '42501',
                 'permission denied for table devices', 'uns_meta_app cannot delete devices');
select throws_ok($$truncate uns_meta.devices cascade$$, '42501', 'permission denied for table devices', 'uns_meta_app cannot truncate devices');
select throws_ok($$alter table uns_meta.devices add column x int$$, '42501', 'must be owner of table devices', 'uns_meta_app cannot alter devices');
reset role;
set local role uns_meta_ro;
select is((select plant from uns_meta.devices where uns_path = 'Secil/Portugal/Cement'), 'Outão', 'uns_meta_ro can read devices');
select throws_ok($$insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'D', 'G/E/D')$$, '42501',
                 'permission denied for table devices', 'uns_meta_ro cannot insert devices');
select throws_ok($$update uns_meta.devices set plant = 'x'$$, '42501', 'permission denied for table devices', 'uns_meta_ro cannot update devices');
select throws_ok($$delete from uns_meta.devices$$, '42501', 'permission denied for table devices', 'uns_meta_ro cannot delete devices');
reset role;
set local role uns_meta_cdc;
select throws_ok($$select * from uns_meta.devices$$, '42501', 'permission denied for table devices', 'uns_meta_cdc cannot read devices');
reset role;

-- Constraint violations.
insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'D', 'G/E/D');
select throws_ok($$insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'D', 'G/E/D2')$$, '23505',
                 'duplicate key value violates unique constraint "uq_devices_spb_identity"',
                 'the Sparkplug identity (group_id, edge, device) is unique');
select throws_ok($$insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'D2', 'G/E/D')$$, '23505',
                 'duplicate key value violates unique constraint "uq_devices_uns_path"', 'uns_path is unique');
select lives_ok($$insert into uns_meta.devices (group_id, edge, device, uns_path) values ('g', 'E', 'D', 'g/E/D')$$,
                'identity is case-sensitive: g/E/D is another device than G/E/D');
select results_eq($$select conname::text collate "default", condeferrable, condeferred from pg_constraint
                     where conrelid = 'uns_meta.devices'::regclass and contype = 'u' order by conname$$,
                  $$values ('uq_devices_spb_identity', false, false), ('uq_devices_uns_path', true, false)$$,
                  'uq_devices_uns_path is DEFERRABLE INITIALLY IMMEDIATE (checked at the end of each statement), the identity is not deferrable');
select lives_ok($$update uns_meta.devices set uns_path = case uns_path when 'G/E/D' then 'g/E/D' else 'G/E/D' end
                   where uns_path in ('G/E/D', 'g/E/D')$$,
                'one UPDATE may swap the paths of two devices');
update uns_meta.devices set uns_path = group_id || '/' || edge || '/' || device where uns_path in ('G/E/D', 'g/E/D');
select throws_ok($$insert into uns_meta.devices (device_id, group_id, edge, device, uns_path)
                   overriding system value select device_id, 'G', 'E', 'D3', 'G/E/D3' from uns_meta.devices where uns_path = 'G/E/D'$$,
                 '23505', 'duplicate key value violates unique constraint "devices_pkey"', 'device_id is unique (devices_pkey)');
select throws_ok($$insert into uns_meta.devices (device_id, group_id, edge, device, uns_path) values (1, 'G', 'E', 'D4', 'G/E/D4')$$,
                 '428C9', 'cannot insert a non-DEFAULT value into column "device_id"', 'device_id is generated, never supplied');
select throws_ok(format($$insert into uns_meta.devices (group_id, edge, device, uns_path) values (%L, %L, %L, 'X/Y/Z')$$, g, e, d),
                 '23514', 'new row for relation "devices" violates check constraint "chk_devices_spb_ids"',
                 format('chk_devices_spb_ids rejects (%s, %s, %s)', g, e, d))
  from (values ('G+', 'E', 'D'), ('G/1', 'E', 'D'), ('#', 'E', 'D'), ('', 'E', 'D'),
               ('G', 'E+', 'D'), ('G', 'E/1', 'D'), ('G', 'E#', 'D'), ('G', '', 'D'),
               ('G', 'E', 'D+'), ('G', 'E', 'a/b'), ('G', 'E', '#'), ('G', 'E', '')) as t(g, e, d);
select throws_ok(format($$insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'P', %L)$$, p),
                 '23514', 'new row for relation "devices" violates check constraint "chk_devices_uns_path"',
                 format('chk_devices_uns_path rejects %L', p))
  from unnest(array['', '/', '/G/E/P', 'G/E/P/', 'G//E/P']) as p;
select throws_ok($$update uns_meta.devices set uns_path = 'G/E/' where uns_path = 'G/E/D'$$, '23514',
                 'new row for relation "devices" violates check constraint "chk_devices_uns_path"',
                 'chk_devices_uns_path also holds on UPDATE');
select lives_ok($$insert into uns_meta.devices (group_id, edge, device, uns_path)
                  values ('Secil', 'Outão SERVIÇO', 'Máquina 1', 'Secil/Outão SERVIÇO/Máquina 1')$$,
                'accents and spaces are allowed in Sparkplug ids and paths');
select is((select edge || '|' || device || '|' || uns_path from uns_meta.devices where group_id = 'Secil' and device = 'Máquina 1'),
          'Outão SERVIÇO|Máquina 1|Secil/Outão SERVIÇO/Máquina 1', '... and stored exactly');
select throws_ok(format($$insert into uns_meta.devices (%s) values (%s)$$, cols, vals), '23502',
                 format('null value in column "%s" of relation "devices" violates not-null constraint', c),
                 format('devices.%s cannot be NULL', c))
  from (values ('group_id', 'group_id, edge, device, uns_path', 'null, ''E'', ''N'', ''N/E/N'''),
               ('edge', 'group_id, edge, device, uns_path', '''N'', null, ''N'', ''N/E/N'''),
               ('device', 'group_id, edge, device, uns_path', '''N'', ''E'', null, ''N/E/N'''),
               ('uns_path', 'group_id, edge, device, uns_path', '''N'', ''E'', ''N'', null'),
               ('created_at', 'group_id, edge, device, uns_path, created_at', '''N'', ''E'', ''N'', ''N/E/N'', null'),
               ('updated_at', 'group_id, edge, device, uns_path, updated_at', '''N'', ''E'', ''N'', ''N/E/N'', null')) as t(c, cols, vals);
select throws_ok($$update uns_meta.devices set edge = null where uns_path = 'G/E/D'$$, '23502',
                 'null value in column "edge" of relation "devices" violates not-null constraint', 'NOT NULL also holds on UPDATE');

-- Timestamps: created_at immutable, updated_at idempotent.
insert into uns_meta.devices (group_id, edge, device, uns_path, created_at, updated_at)
  values ('T', 'E', 'D', 'T/E/D', '2001-01-01 00:00:00+00', '2001-01-02 00:00:00+00');
create temp table seen as select * from uns_meta.devices where uns_path = 'T/E/D';
update uns_meta.devices set uns_path = uns_path, plant = plant where uns_path = 'T/E/D';
update uns_meta.devices set group_id = group_id, edge = edge, device = device, country = country where uns_path = 'T/E/D';
select results_eq($$select * from uns_meta.devices where uns_path = 'T/E/D'$$, $$select * from seen$$,
                  'two identical UPDATEs leave the device row, updated_at included, unchanged');
update uns_meta.devices set updated_at = now() where uns_path = 'T/E/D';
select is((select updated_at from uns_meta.devices where uns_path = 'T/E/D'), (select updated_at from seen),
          'an UPDATE of updated_at alone is ignored');
set local role uns_meta_app;
update uns_meta.devices set plant = null where uns_path = 'T/E/D';
reset role;
select is((select updated_at from uns_meta.devices where uns_path = 'T/E/D'), (select updated_at from seen),
          'an identical UPDATE by uns_meta_app (NULL to NULL) leaves updated_at unchanged');
update uns_meta.devices set plant = 'Outão' where uns_path = 'T/E/D';
select is((select updated_at from uns_meta.devices where uns_path = 'T/E/D'), now(), 'a real change moves updated_at to now()');
select is((select created_at from uns_meta.devices where uns_path = 'T/E/D'), timestamptz '2001-01-01 00:00:00+00',
          '... and keeps created_at');
select throws_ok($$update uns_meta.devices set created_at = now() where uns_path = 'T/E/D'$$, 'U0101',
                 'uns_meta.devices.created_at cannot change (it stays 2001-01-01 00:00:00+00)', 'devices.created_at cannot change (U0101)');
set local role uns_meta_app;
select is(pg_temp.error_of($$update uns_meta.devices set created_at = created_at - interval '1 day' where uns_path = 'T/E/D'$$),
          'U0101 created_at_immutable: uns_meta.devices.created_at cannot change (it stays 2001-01-01 00:00:00+00)',
          'uns_meta_app gets U0101 with constraint created_at_immutable');
reset role;

-- ON DELETE CASCADE (as admin, the only role that may delete devices): everything of the device goes.
insert into uns_meta.metrics (device_id, name, uns_path, datatype)
  select device_id, 'Temp', 'T/E/D/Temp', 10 from uns_meta.devices where uns_path = 'T/E/D';
insert into uns_meta.metric_properties (metric_id, key, type, spb_type, value_string)
  select metric_id, 'engUnit', 'string', 12, 'degC' from uns_meta.metrics where uns_path = 'T/E/D/Temp';
insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff)
  select metric_id, 1, 'created', '{}' from uns_meta.metrics where uns_path = 'T/E/D/Temp';
insert into uns_meta.metric_path_lineage (metric_id, old_uns_path, new_uns_path)
  select metric_id, 'T/E/D/temp', 'T/E/D/Temp' from uns_meta.metrics where uns_path = 'T/E/D/Temp';
insert into uns_meta.device_path_lineage (device_id, old_uns_path, new_uns_path)
  select device_id, 'T/E/d', 'T/E/D' from uns_meta.devices where uns_path = 'T/E/D';
create temp table doomed as
  select d.device_id, m.metric_id from uns_meta.devices d join uns_meta.metrics m using (device_id) where d.uns_path = 'T/E/D';
create function pg_temp.rows_of_doomed() returns bigint[] language sql as $$
  select array[(select count(*) from uns_meta.metrics where metric_id in (select metric_id from doomed)),
               (select count(*) from uns_meta.metric_properties where metric_id in (select metric_id from doomed)),
               (select count(*) from uns_meta.metric_versions where metric_id in (select metric_id from doomed)),
               (select count(*) from uns_meta.metric_path_lineage where metric_id in (select metric_id from doomed)),
               (select count(*) from uns_meta.device_path_lineage where device_id in (select device_id from doomed))]
$$;
select is(pg_temp.rows_of_doomed(), array[1, 1, 2, 1, 1]::bigint[],
          'the device has a metric, a property, versions (the hand-written one and the property insert''s, triggers/catalog_changes) and lineage rows');
select lives_ok($$delete from uns_meta.devices where uns_path = 'T/E/D'$$, 'uns_meta_admin can delete a device');
select is(pg_temp.rows_of_doomed(), array[0, 0, 0, 0, 0]::bigint[],
          'deleting a device cascades to its metrics, their properties, versions and lineage, and its own lineage');

select * from finish();
rollback;
