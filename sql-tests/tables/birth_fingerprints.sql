-- pgTAP: uns_meta.birth_fingerprints, ingest_birth's memory of the last birth it applied in full per device, and the
-- statement triggers on metrics and metric_properties that forget every fingerprint after a write that did not
-- come from ingest_birth (ingest_birth marks its own with uns_meta.ingest_birth_active = 'on').
-- How ingest_birth uses it: sql-tests/functions/ingest_birth/identical_births.sql.
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
select plan(29);

-- Structure.
select has_table('uns_meta', 'birth_fingerprints', 'table uns_meta.birth_fingerprints exists');
select table_owner_is('uns_meta', 'birth_fingerprints', 'uns_meta_admin', 'birth_fingerprints is owned by uns_meta_admin');
select columns_are('uns_meta', 'birth_fingerprints', array['device_id', 'fingerprint', 'applied_at'],
                   'birth_fingerprints has exactly its columns (the rules version is read from devices.path_rules_version)');
select col_type_is('uns_meta', 'birth_fingerprints', c, t, format('birth_fingerprints.%s is %s', c, t))
  from (values ('device_id', 'bigint'), ('fingerprint', 'bytea'), ('applied_at', 'timestamp with time zone')) as t(c, t);
select col_not_null('uns_meta', 'birth_fingerprints', 'fingerprint', 'a fingerprint row always has its md5');
select col_is_pk('uns_meta', 'birth_fingerprints', 'device_id', 'one fingerprint per device');
select fk_ok('uns_meta', 'birth_fingerprints', 'device_id', 'uns_meta', 'devices', 'device_id', 'device_id references devices');
select is((select count(*)::int from pg_description where objoid = 'uns_meta.birth_fingerprints'::regclass and classoid = 'pg_class'::regclass),
          4, 'the table and each of its three columns have a comment');

-- Privileges.
select table_privs_are('uns_meta', 'birth_fingerprints', 'uns_meta_app', array['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
                       'uns_meta_app (ingest_birth) reads and writes fingerprints');
select table_privs_are('uns_meta', 'birth_fingerprints', 'uns_meta_ro', array['SELECT'], 'uns_meta_ro may only read them');
select table_privs_are('uns_meta', 'birth_fingerprints', 'uns_meta_cdc', array[]::text[], 'uns_meta_cdc has no privilege on them');
select table_privs_are('uns_meta', 'birth_fingerprints', 'public', array[]::text[], 'PUBLIC has no privilege on them');
select function_privs_are('uns_meta', 'tg__forget_birth_fingerprints', array[]::text[], 'public', array[]::text[],
                          'PUBLIC cannot call the trigger function');

-- The triggers: statement level, after every kind of write, on both tables.
select is((select array_agg(format('%s %s %s', tgrelid::regclass, tgtype, tgfoid::regproc) order by tgrelid::regclass::text)
             from pg_trigger where tgname = '_900_forget_birth_fingerprints'),
          array['uns_meta.metric_properties 60 uns_meta.tg__forget_birth_fingerprints',
                'uns_meta.metrics 60 uns_meta.tg__forget_birth_fingerprints'],
          'metrics and metric_properties forget fingerprints AFTER INSERT, UPDATE, DELETE and TRUNCATE, once per statement');

-- Two devices with one metric each, and a fingerprint per device.
insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'D1', 'G/E/D1'), ('G', 'E', 'D2', 'G/E/D2');
insert into uns_meta.metrics (device_id, name, datatype, uns_path)
  select device_id, 'T', 10, uns_path || '/T' from uns_meta.devices;
create function pg_temp.remember() returns integer language sql as $$
  insert into uns_meta.birth_fingerprints (device_id, fingerprint)
  select device_id, decode(md5(device), 'hex') from uns_meta.devices
  on conflict (device_id) do nothing;
  select count(*)::int from uns_meta.birth_fingerprints
$$;
select is(pg_temp.remember(), 2, 'two fingerprints');

-- Writes by anyone but ingest_birth forget all of them.
update uns_meta.metrics set datatype = 11 where uns_path = 'G/E/D1/T';
select is((select count(*)::int from uns_meta.birth_fingerprints), 0, 'an UPDATE of one metric forgets every device''s fingerprint');
select is(pg_temp.remember(), 2, 'remembered again');
insert into uns_meta.metric_properties (metric_id, key, type, spb_type, value_string)
  select metric_id, 'engUnit', 'string', 12, 'kW' from uns_meta.metrics where uns_path = 'G/E/D2/T';
select is((select count(*)::int from uns_meta.birth_fingerprints), 0, 'an INSERT into metric_properties forgets them');
select is(pg_temp.remember(), 2, 'remembered again');
update uns_meta.metric_properties set value_string = 'MW';
select is((select count(*)::int from uns_meta.birth_fingerprints), 0, 'an UPDATE of metric_properties forgets them');
select is(pg_temp.remember(), 2, 'remembered again');
delete from uns_meta.metric_properties;
select is((select count(*)::int from uns_meta.birth_fingerprints), 0, 'a DELETE from metric_properties forgets them');
select is(pg_temp.remember(), 2, 'remembered again');
update uns_meta.metrics set datatype = 12 where false;
select is((select count(*)::int from uns_meta.birth_fingerprints), 0, 'even a statement that changed no row (it may have been meant to)');

-- ingest_birth's own writes (its marker on) leave them.
select is(pg_temp.remember(), 2, 'remembered again');
select set_config('uns_meta.ingest_birth_active', 'on', true);
update uns_meta.metrics set datatype = 13;
select is((select count(*)::int from uns_meta.birth_fingerprints), 2, 'with ingest_birth''s marker on, a write keeps them');
select set_config('uns_meta.ingest_birth_active', 'off', true);

-- A deleted device takes its own fingerprint along (foreign key), and its metrics' delete forgets the rest.
delete from uns_meta.devices where device = 'D1';
select is((select count(*)::int from uns_meta.birth_fingerprints), 0, 'deleting a device leaves no fingerprint');

select * from finish();
rollback;
