-- pgTAP: uns_meta.metrics, including the generated canary_id.
-- Timestamps: see sql-tests/functions/tg__timestamps.sql for why rows get explicit past timestamps.
begin;
\ir ../_session.psql
select plan(124);

-- Structure.
select has_table('uns_meta', 'metrics', 'table uns_meta.metrics exists');
select table_owner_is('uns_meta', 'metrics', 'uns_meta_admin', 'metrics is owned by uns_meta_admin');
select columns_are('uns_meta', 'metrics',
  array['metric_id', 'device_id', 'name', 'uns_path', 'canary_id', 'datatype', 'alias', 'is_historical', 'is_transient',
        'retired_at', 'version', 'properties_hash', 'created_at', 'updated_at'],
  'metrics has exactly its columns');
select col_type_is('uns_meta', 'metrics', c, t, format('metrics.%s is %s', c, t))
  from (values ('metric_id', 'bigint'), ('device_id', 'bigint'), ('name', 'text'), ('uns_path', 'text'), ('canary_id', 'text'),
               ('datatype', 'bigint'), ('alias', 'numeric(20,0)'), ('is_historical', 'boolean'), ('is_transient', 'boolean'),
               ('retired_at', 'timestamp with time zone'), ('version', 'integer'), ('properties_hash', 'bytea'),
               ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone')) as t(c, t);
select col_not_null('uns_meta', 'metrics', c, format('metrics.%s is NOT NULL', c))
  from unnest(array['metric_id', 'device_id', 'name', 'uns_path', 'datatype', 'is_historical', 'is_transient', 'version',
                    'created_at', 'updated_at']) as c;
select col_is_null('uns_meta', 'metrics', c, format('metrics.%s is nullable', c))
  from unnest(array['canary_id', 'alias', 'retired_at', 'properties_hash']) as c;
select col_default_is('uns_meta', 'metrics', c, d, format('metrics.%s defaults to %s', c, d))
  from (values ('is_historical', 'false'), ('is_transient', 'false'), ('version', '1'),
               ('created_at', 'now()'), ('updated_at', 'now()')) as t(c, d);
select is((select attidentity::text from pg_attribute where attrelid = 'uns_meta.metrics'::regclass and attname = 'metric_id'),
          'a', 'metrics.metric_id is GENERATED ALWAYS AS IDENTITY');
select is((select attgenerated::text from pg_attribute where attrelid = 'uns_meta.metrics'::regclass and attname = 'canary_id'),
          's', 'metrics.canary_id is a STORED generated column');
select is((select pg_get_expr(adbin, adrelid) from pg_attrdef d join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
            where d.adrelid = 'uns_meta.metrics'::regclass and a.attname = 'canary_id'),
          $$replace(uns_path, '/'::text, '.'::text)$$, 'canary_id is generated as replace(uns_path, ''/'', ''.'')');
select has_pk('uns_meta', 'metrics', 'metrics has a primary key');
select col_is_pk('uns_meta', 'metrics', 'metric_id', 'metrics primary key is (metric_id)');
select col_is_unique('uns_meta', 'metrics', array['device_id', 'name'], 'metrics (device_id, name) is unique');
select col_is_unique('uns_meta', 'metrics', array['uns_path'], 'metrics (uns_path) is unique');
select col_is_unique('uns_meta', 'metrics', array['canary_id'], 'metrics (canary_id) is unique');
select is((select array_agg(tgname::text order by tgname) from pg_trigger
            where tgrelid = 'uns_meta.metrics'::regclass and tgname like '\_200\_device\_exists%'),
          array['_200_device_exists_insert', '_200_device_exists_update'],
          'metrics.device_id references devices through statement triggers, ON DELETE CASCADE (sql-tests/triggers/statement_foreign_keys.sql)');
select is((select count(*)::int from pg_trigger where tgrelid = 'uns_meta.devices'::regclass and tgname = '_200_delete_metrics'), 1,
          'deleting devices deletes their metrics (trigger _200_delete_metrics)');
select bag_eq($$select conname::text, contype::text from pg_constraint where conrelid = 'uns_meta.metrics'::regclass and contype <> 'n'$$,
              $$values ('metrics_pkey', 'p'), ('uq_metric_spb_identity', 'u'),
                       ('uq_metrics_uns_path', 'u'), ('uq_metrics_canary_id', 'u'), ('chk_metrics_name', 'c'),
                       ('chk_metrics_uns_path', 'c'), ('chk_metrics_datatype', 'c'), ('chk_metrics_alias', 'c'),
                       ('chk_metrics_version', 'c')$$,
              'metrics has exactly its constraints (the reference to devices is kept by statement triggers)');
select indexes_are('uns_meta', 'metrics',
                   array['metrics_pkey', 'uq_metric_spb_identity', 'uq_metrics_uns_path', 'uq_metrics_canary_id'],
                   'metrics has exactly the indexes of its key and unique constraints');
select triggers_are('uns_meta', 'metrics', array['_100_timestamps', '_200_delete_properties', '_200_truncate_properties', '_200_metric_id_immutable',
                                          '_200_device_exists_insert', '_200_device_exists_update', '_200_delete_versions', '_200_truncate_versions',
                                          '_200_delete_sync_state', '_200_truncate_sync_state',
                                          '_300_record_change', '_900_forget_birth_fingerprints'],
                    'metrics has exactly its triggers (timestamps; the reference of metric_properties, tested there; those of triggers/statement_foreign_keys and triggers/canary_sync_state_reference, tested there; versioning in triggers/catalog_changes)');
select has_trigger('uns_meta', 'metrics', '_100_timestamps', 'metrics has trigger _100_timestamps');
select trigger_is('uns_meta', 'metrics', '_100_timestamps', 'uns_meta', 'tg__timestamps', '_100_timestamps calls tg__timestamps()');
select is((select tgtype::int from pg_trigger where tgrelid = 'uns_meta.metrics'::regclass and tgname = '_100_timestamps'),
          1 | 2 | 16, '_100_timestamps fires BEFORE UPDATE FOR EACH ROW');
select ok((select 'canary_id' = any (string_to_array(rtrim(encode(tgargs, 'escape'), '\000'), '\000'))
             from pg_trigger where tgrelid = 'uns_meta.metrics'::regclass and tgname = '_100_timestamps'),
          '_100_timestamps leaves the generated canary_id out of the comparison');
select isnt(obj_description('uns_meta.metrics'::regclass, 'pg_class'), null, 'metrics has a table comment');
select is((select array_agg(attname::text order by attnum) from pg_attribute
            where attrelid = 'uns_meta.metrics'::regclass and attnum > 0 and not attisdropped
              and coalesce(col_description(attrelid, attnum), '') = ''),
          null, 'every column of metrics has a comment');

-- Privileges (catalogue).
select table_privs_are('uns_meta', 'metrics', 'uns_meta_admin',
                       array['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE'], 'uns_meta_admin owns metrics');
select table_privs_are('uns_meta', 'metrics', 'uns_meta_app', array['INSERT', 'SELECT', 'UPDATE'],
                       'uns_meta_app may read, insert and update metrics (no delete)');
select table_privs_are('uns_meta', 'metrics', 'uns_meta_ro', array['SELECT'], 'uns_meta_ro may only read metrics');
select table_privs_are('uns_meta', 'metrics', 'uns_meta_cdc', array['SELECT'], 'uns_meta_cdc may only read metrics (published)');
select table_privs_are('uns_meta', 'metrics', 'public', array[]::text[], 'PUBLIC has no privilege on metrics');

insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'D', 'G/E/D'), ('G', 'E', 'D2', 'G/E/D2');
create temp table dev as select device_id from uns_meta.devices where uns_path = 'G/E/D';
grant select on dev to uns_meta_app, uns_meta_ro;

-- Grants, by SET ROLE.
set local role uns_meta_app;
select lives_ok($$insert into uns_meta.metrics (device_id, name, uns_path, datatype)
                  select device_id, 'Area 1/Temp', 'G/E/D/Area_1/Temp', 10 from dev$$, 'uns_meta_app can insert a metric');
select is((select canary_id from uns_meta.metrics where uns_path = 'G/E/D/Area_1/Temp'), 'G.E.D.Area_1.Temp',
          'uns_meta_app can read metrics; canary_id is generated on INSERT');
select lives_ok($$update uns_meta.metrics set is_historical = true where uns_path = 'G/E/D/Area_1/Temp'$$, 'uns_meta_app can update a metric');
select throws_ok($$delete from uns_meta.metrics$$, '42501', 'permission denied for table metrics', 'uns_meta_app cannot delete metrics');
select throws_ok($$truncate uns_meta.metrics cascade$$, '42501', 'permission denied for table metrics', 'uns_meta_app cannot truncate metrics');
reset role;
set local role uns_meta_ro;
select is((select count(*)::int from uns_meta.metrics), 1, 'uns_meta_ro can read metrics');
select throws_ok($$insert into uns_meta.metrics (device_id, name, uns_path, datatype) select device_id, 'x', 'G/E/D/x', 10 from dev$$,
                 '42501', 'permission denied for table metrics', 'uns_meta_ro cannot insert metrics');
select throws_ok($$update uns_meta.metrics set is_historical = false$$, '42501', 'permission denied for table metrics', 'uns_meta_ro cannot update metrics');
select throws_ok($$delete from uns_meta.metrics$$, '42501', 'permission denied for table metrics', 'uns_meta_ro cannot delete metrics');
reset role;
set local role uns_meta_cdc;
select is((select count(*)::int from uns_meta.metrics), 1, 'uns_meta_cdc can read metrics');
select throws_ok($$update uns_meta.metrics set is_historical = false$$, '42501', 'permission denied for table metrics', 'uns_meta_cdc cannot update metrics');
reset role;

-- canary_id follows uns_path.
update uns_meta.metrics set uns_path = 'G/E/D/Area_2/Temp' where uns_path = 'G/E/D/Area_1/Temp';
select is((select canary_id from uns_meta.metrics where name = 'Area 1/Temp'), 'G.E.D.Area_2.Temp', 'canary_id follows an UPDATE of uns_path');
select is((select count(*)::int from uns_meta.metrics where canary_id is distinct from replace(uns_path, '/', '.')), 0,
          'canary_id = replace(uns_path, ''/'', ''.'') for every row');
select throws_ok($$insert into uns_meta.metrics (device_id, name, uns_path, canary_id, datatype) select device_id, 'c', 'G/E/D/c', 'x', 10 from dev$$,
                 '428C9', 'cannot insert a non-DEFAULT value into column "canary_id"', 'canary_id cannot be supplied on INSERT');
select throws_ok($$update uns_meta.metrics set canary_id = 'x'$$, '428C9', 'column "canary_id" can only be updated to DEFAULT',
                 'canary_id cannot be set by UPDATE');

-- Constraint violations.
select throws_ok($$insert into uns_meta.metrics (device_id, name, uns_path, datatype) select device_id, 'Area 1/Temp', 'G/E/D/other', 10 from dev$$,
                 '23505', 'duplicate key value violates unique constraint "uq_metric_spb_identity"', 'the Sparkplug identity (device_id, name) is unique');
select lives_ok($$insert into uns_meta.metrics (device_id, name, uns_path, datatype) select device_id, 'area 1/temp', 'G/E/D/area_1/temp', 10 from dev$$,
                'names are case-sensitive: area 1/temp is another metric than Area 1/Temp');
select lives_ok($$insert into uns_meta.metrics (device_id, name, uns_path, datatype)
                  select device_id, 'Area 1/Temp', 'G/E/D2/Area_1/Temp', 10 from uns_meta.devices where uns_path = 'G/E/D2'$$,
                'the same name on another device is another metric');
select throws_ok($$insert into uns_meta.metrics (device_id, name, uns_path, datatype) select device_id, 'n2', 'G/E/D/Area_2/Temp', 10 from dev$$,
                 '23505', 'duplicate key value violates unique constraint "uq_metrics_uns_path"', 'uns_path is unique');
insert into uns_meta.metrics (device_id, name, uns_path, datatype) select device_id, 'a.b/c', 'G/E/D/a.b/c', 10 from dev;
select throws_ok($$insert into uns_meta.metrics (device_id, name, uns_path, datatype) select device_id, 'a/b.c', 'G/E/D/a/b.c', 10 from dev$$,
                 '23505', 'duplicate key value violates unique constraint "uq_metrics_canary_id"',
                 'canary_id is unique: G/E/D/a/b.c collides with G/E/D/a.b/c (both G.E.D.a.b.c)');
select throws_ok($$update uns_meta.metrics set uns_path = 'G/E/D/a/b.c' where name = 'area 1/temp'$$,
                 '23505', 'duplicate key value violates unique constraint "uq_metrics_canary_id"', 'uq_metrics_canary_id also holds on UPDATE');
select results_eq($$select conname::text collate "default", condeferrable, condeferred from pg_constraint
                     where conrelid = 'uns_meta.metrics'::regclass and contype = 'u' order by conname$$,
                  $$values ('uq_metric_spb_identity', false, false), ('uq_metrics_canary_id', true, false), ('uq_metrics_uns_path', true, false)$$,
                  'the path uniques are DEFERRABLE INITIALLY IMMEDIATE (checked at the end of each statement), the identity is not deferrable');
select lives_ok($$update uns_meta.metrics set uns_path = case name when 'a.b/c' then 'G/E/D/area_1/temp' else 'G/E/D/a.b/c' end
                   where name in ('a.b/c', 'area 1/temp')$$,
                'one UPDATE may swap the paths of two metrics (uniqueness is checked at the end of the statement)');
select results_eq($$select name, canary_id from uns_meta.metrics where name in ('a.b/c', 'area 1/temp') order by name$$,
                  $$values ('a.b/c', 'G.E.D.area_1.temp'), ('area 1/temp', 'G.E.D.a.b.c')$$, '... and canary_id follows both');
update uns_meta.metrics set uns_path = case name when 'a.b/c' then 'G/E/D/a.b/c' else 'G/E/D/area_1/temp' end
 where name in ('a.b/c', 'area 1/temp');
select throws_ok($$insert into uns_meta.metrics (metric_id, device_id, name, uns_path, datatype) overriding system value
                   select m.metric_id, m.device_id, 'pk', 'G/E/D/pk', 10 from uns_meta.metrics m where m.name = 'a.b/c'$$,
                 '23505', 'duplicate key value violates unique constraint "metrics_pkey"', 'metric_id is unique (metrics_pkey)');
select throws_ok($$insert into uns_meta.metrics (metric_id, device_id, name, uns_path, datatype) select 1, device_id, 'pk', 'G/E/D/pk', 10 from dev$$,
                 '428C9', 'cannot insert a non-DEFAULT value into column "metric_id"', 'metric_id is generated, never supplied');
select throws_ok($$insert into uns_meta.metrics (device_id, name, uns_path, datatype) values (-1, 'orphan', 'G/E/D/orphan', 10)$$,
                 '23503', 'insert or update on table "metrics" violates foreign key constraint "metrics_device_id_fkey"',
                 'a metric needs an existing device');
select throws_ok($$update uns_meta.metrics set device_id = -1 where name = 'a.b/c'$$,
                 '23503', 'insert or update on table "metrics" violates foreign key constraint "metrics_device_id_fkey"',
                 'metrics_device_id_fkey also holds on UPDATE');
select throws_ok($$insert into uns_meta.metrics (device_id, name, uns_path, datatype) select device_id, '', 'G/E/D/empty', 10 from dev$$,
                 '23514', 'new row for relation "metrics" violates check constraint "chk_metrics_name"', 'chk_metrics_name rejects an empty name');
select throws_ok(format($$insert into uns_meta.metrics (device_id, name, uns_path, datatype) select device_id, 'p', %L, 10 from dev$$, p),
                 '23514', 'new row for relation "metrics" violates check constraint "chk_metrics_uns_path"',
                 format('chk_metrics_uns_path rejects %L', p))
  from unnest(array['', '/', '/G/E/D/p', 'G/E/D/p/', 'G/E//D/p']) as p;
select throws_ok(format($$insert into uns_meta.metrics (device_id, name, uns_path, datatype) select device_id, 'dt', 'G/E/D/dt', %s from dev$$, v),
                 '23514', 'new row for relation "metrics" violates check constraint "chk_metrics_datatype"',
                 format('chk_metrics_datatype rejects %s', v))
  from unnest(array['-1', '4294967296']) as v;
select lives_ok(format($$insert into uns_meta.metrics (device_id, name, uns_path, datatype) select device_id, 'dt%s', 'G/E/D/dt%s', %s from dev$$, v, v, v),
                format('datatype %s (uint32 bound) is accepted', v))
  from unnest(array['0', '4294967295']) as v;
select throws_ok(format($$insert into uns_meta.metrics (device_id, name, uns_path, datatype, alias) select device_id, 'al', 'G/E/D/al', 10, %s from dev$$, v),
                 '23514', 'new row for relation "metrics" violates check constraint "chk_metrics_alias"',
                 format('chk_metrics_alias rejects %s', v))
  from unnest(array['-1', '18446744073709551616', '99999999999999999999']) as v;
select lives_ok(format($$insert into uns_meta.metrics (device_id, name, uns_path, datatype, alias) select device_id, 'al%s', 'G/E/D/al%s', 10, %s from dev$$, v, v, v),
                format('alias %s (uint64 bound) is accepted', v))
  from unnest(array['0', '18446744073709551615']) as v;
select is((select alias::text from uns_meta.metrics where name = 'al18446744073709551615'), '18446744073709551615',
          'the largest uint64 alias reads back exactly');
select throws_ok($$insert into uns_meta.metrics (device_id, name, uns_path, datatype, alias) select device_id, 'al', 'G/E/D/al', 10, 100000000000000000000 from dev$$,
                 '22003', null, 'an alias of 21 digits overflows numeric(20,0)');
select throws_ok($$insert into uns_meta.metrics (device_id, name, uns_path, datatype, version) select device_id, 'v', 'G/E/D/v', 10, 0 from dev$$,
                 '23514', 'new row for relation "metrics" violates check constraint "chk_metrics_version"', 'chk_metrics_version rejects version 0');
select throws_ok(format($$insert into uns_meta.metrics (%s) select %s from dev$$, cols, vals), '23502',
                 format('null value in column "%s" of relation "metrics" violates not-null constraint', c),
                 format('metrics.%s cannot be NULL', c))
  from (values ('device_id', 'device_id, name, uns_path, datatype', 'null::bigint, ''n'', ''G/E/D/n'', 10'),
               ('name', 'device_id, name, uns_path, datatype', 'device_id, null, ''G/E/D/n'', 10'),
               ('uns_path', 'device_id, name, uns_path, datatype', 'device_id, ''n'', null, 10'),
               ('datatype', 'device_id, name, uns_path, datatype', 'device_id, ''n'', ''G/E/D/n'', null'),
               ('is_historical', 'device_id, name, uns_path, datatype, is_historical', 'device_id, ''n'', ''G/E/D/n'', 10, null'),
               ('is_transient', 'device_id, name, uns_path, datatype, is_transient', 'device_id, ''n'', ''G/E/D/n'', 10, null'),
               ('version', 'device_id, name, uns_path, datatype, version', 'device_id, ''n'', ''G/E/D/n'', 10, null'),
               ('created_at', 'device_id, name, uns_path, datatype, created_at', 'device_id, ''n'', ''G/E/D/n'', 10, null'),
               ('updated_at', 'device_id, name, uns_path, datatype, updated_at', 'device_id, ''n'', ''G/E/D/n'', 10, null')) as t(c, cols, vals);

-- Timestamps: created_at immutable, updated_at idempotent (canary_id ignored, it is generated).
insert into uns_meta.metrics (device_id, name, uns_path, datatype, created_at, updated_at)
  select device_id, 'ts', 'G/E/D/ts', 9, '2001-01-01 00:00:00+00', '2001-01-02 00:00:00+00' from dev;
create temp table seen as select * from uns_meta.metrics where name = 'ts';
update uns_meta.metrics set uns_path = uns_path where name = 'ts';
update uns_meta.metrics set uns_path = uns_path, datatype = datatype, alias = alias, is_historical = is_historical where name = 'ts';
select results_eq($$select * from uns_meta.metrics where name = 'ts'$$, $$select * from seen$$,
                  'two identical UPDATEs (uns_path included) leave the metric row, updated_at included, unchanged');
set local role uns_meta_app;
update uns_meta.metrics set retired_at = null, version = 1 where name = 'ts';
reset role;
select is((select updated_at from uns_meta.metrics where name = 'ts'), (select updated_at from seen),
          'an identical UPDATE by uns_meta_app leaves updated_at unchanged');
update uns_meta.metrics set properties_hash = '\x00ff' where name = 'ts';
select results_eq($$select properties_hash, updated_at from uns_meta.metrics where name = 'ts'$$,
                  $$select '\x00ff'::bytea, updated_at from seen$$,
                  'properties_hash is written, but a change of it alone does not move updated_at (it is not metadata)');
update uns_meta.metrics set uns_path = 'G/E/D/ts2' where name = 'ts';
select results_eq($$select canary_id, updated_at, created_at from uns_meta.metrics where name = 'ts'$$,
                  $$values ('G.E.D.ts2'::text, now(), '2001-01-01 00:00:00+00'::timestamptz)$$,
                  'a path change moves canary_id and updated_at, and keeps created_at');
select throws_ok($$update uns_meta.metrics set created_at = now() where name = 'ts'$$, 'U0101',
                 'uns_meta.metrics.created_at cannot change (it stays 2001-01-01 00:00:00+00)', 'metrics.created_at cannot change (U0101)');
set local role uns_meta_app;
select alike(pg_temp.error_of($$update uns_meta.metrics set created_at = null where name = 'ts'$$),
             'U0101 created_at_immutable: %', 'uns_meta_app gets U0101 with constraint created_at_immutable');
reset role;

-- ON DELETE CASCADE from devices (as admin).
create temp table doomed as select metric_id from uns_meta.metrics where device_id = (select device_id from dev);
select ok((select count(*) from doomed) > 1, 'the device has metrics');
delete from uns_meta.devices where device_id = (select device_id from dev);
select is((select count(*)::int from uns_meta.metrics where metric_id in (select metric_id from doomed)), 0,
          'deleting the device deleted its metrics (ON DELETE CASCADE)');
select is((select count(*)::int from uns_meta.metrics where uns_path = 'G/E/D2/Area_1/Temp'), 1, '... and only its metrics');

select * from finish();
rollback;
