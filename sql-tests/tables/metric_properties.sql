-- pgTAP: uns_meta.metric_properties, lossless typed property values.
-- Timestamps: see sql-tests/functions/tg__timestamps.sql for why rows get explicit past timestamps.
begin;
\ir ../_session.psql
select plan(204);

-- Structure.
select has_table('uns_meta', 'metric_properties', 'table uns_meta.metric_properties exists');
select table_owner_is('uns_meta', 'metric_properties', 'uns_meta_admin', 'metric_properties is owned by uns_meta_admin');
select columns_are('uns_meta', 'metric_properties',
  array['metric_id', 'key', 'key_path', 'type', 'spb_type', 'is_null', 'value_int', 'value_long', 'value_uint64', 'value_float',
        'value_double', 'value_string', 'value_bool', 'value_datetime', 'created_at', 'updated_at'],
  'metric_properties has exactly its columns');
select col_type_is('uns_meta', 'metric_properties', c, t, format('metric_properties.%s is %s', c, t))
  from (values ('metric_id', 'bigint'), ('key', 'text'), ('key_path', 'text[]'), ('type', 'uns_meta.spb_property_type'),
               ('spb_type', 'bigint'), ('is_null', 'boolean'), ('value_int', 'integer'), ('value_long', 'bigint'),
               ('value_uint64', 'numeric(20,0)'), ('value_float', 'real'), ('value_double', 'double precision'),
               ('value_string', 'text'), ('value_bool', 'boolean'), ('value_datetime', 'timestamp with time zone'),
               ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone')) as t(c, t);
select col_not_null('uns_meta', 'metric_properties', c, format('metric_properties.%s is NOT NULL', c))
  from unnest(array['metric_id', 'key', 'type', 'spb_type', 'is_null', 'created_at', 'updated_at']) as c;
select col_is_null('uns_meta', 'metric_properties', c, format('metric_properties.%s is nullable', c))
  from unnest(array['key_path', 'value_int', 'value_long', 'value_uint64', 'value_float', 'value_double', 'value_string',
                    'value_bool', 'value_datetime']) as c;
select col_default_is('uns_meta', 'metric_properties', c, d, format('metric_properties.%s defaults to %s', c, d))
  from (values ('is_null', 'false'), ('created_at', 'now()'), ('updated_at', 'now()')) as t(c, d);
select has_pk('uns_meta', 'metric_properties', 'metric_properties has a primary key');
select col_is_pk('uns_meta', 'metric_properties', array['metric_id', 'key'], 'metric_properties primary key is (metric_id, key)');
select bag_eq($$select conname::text, contype::text from pg_constraint where conrelid = 'uns_meta.metric_properties'::regclass and contype <> 'n'$$,
              $$values ('metric_properties_pkey', 'p'), ('chk_metric_properties_key', 'c'),
                       ('chk_metric_properties_key_path', 'c'), ('chk_metric_properties_spb_type', 'c'),
                       ('chk_metric_properties_uint64', 'c'), ('chk_metric_properties_type_value', 'c')$$,
              'metric_properties has exactly its constraints (the reference to metrics is kept by statement triggers)');
select indexes_are('uns_meta', 'metric_properties', array['metric_properties_pkey'], 'metric_properties has only its primary key index');
select triggers_are('uns_meta', 'metric_properties', array['_100_timestamps', '_200_metric_exists_insert', '_200_metric_exists_update',
                                                    '_300_record_change_insert', '_300_record_change_update',
                                                    '_300_record_change_delete', '_900_forget_birth_fingerprints'],
                    'metric_properties has exactly its triggers (versioning in triggers/catalog_changes)');
select is((select array_agg(format('%s %s %s', tgname, tgtype, tgfoid::regproc) order by tgname) from pg_trigger
            where tgrelid = 'uns_meta.metric_properties'::regclass and tgname like '\_200%'),
          array['_200_metric_exists_insert 4 uns_meta.tg_metric_properties__metric_exists',
                '_200_metric_exists_update 16 uns_meta.tg_metric_properties__metric_exists'],
          'the reference to metrics is checked AFTER INSERT and AFTER UPDATE, FOR EACH STATEMENT');
select is((select array_agg(format('%s %s %s', tgname, tgtype, tgfoid::regproc) order by tgname) from pg_trigger
            where tgrelid = 'uns_meta.metrics'::regclass and tgname like '\_200%' and tgfoid::regproc::text like 'uns_meta.tg\_metric%'),
          array['_200_delete_properties 8 uns_meta.tg_metrics__delete_properties',
                '_200_metric_id_immutable 19 uns_meta.tg_metrics__metric_id_immutable',
                '_200_truncate_properties 32 uns_meta.tg_metrics__delete_properties'],
          'metrics cascades deletes and truncates to metric_properties (statement triggers) and keeps metric_id fixed');
select is((select bool_and(prosecdef and proconfig @> array['search_path=pg_catalog, pg_temp']) from pg_proc
            where oid in ('uns_meta.tg_metric_properties__metric_exists'::regproc, 'uns_meta.tg_metrics__delete_properties'::regproc)),
          true, 'the reference triggers run as the owner (like a foreign key) with a fixed search_path');
select has_trigger('uns_meta', 'metric_properties', '_100_timestamps', 'metric_properties has trigger _100_timestamps');
select trigger_is('uns_meta', 'metric_properties', '_100_timestamps', 'uns_meta', 'tg__timestamps', '_100_timestamps calls tg__timestamps()');
select is((select tgtype::int from pg_trigger where tgrelid = 'uns_meta.metric_properties'::regclass and tgname = '_100_timestamps'),
          1 | 2 | 16, '_100_timestamps fires BEFORE UPDATE FOR EACH ROW');
select isnt(obj_description('uns_meta.metric_properties'::regclass, 'pg_class'), null, 'metric_properties has a table comment');
select is((select array_agg(attname::text order by attnum) from pg_attribute
            where attrelid = 'uns_meta.metric_properties'::regclass and attnum > 0 and not attisdropped
              and coalesce(col_description(attrelid, attnum), '') = ''),
          null, 'every column of metric_properties has a comment');

-- Privileges (catalogue).
select table_privs_are('uns_meta', 'metric_properties', 'uns_meta_admin',
                       array['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE'], 'uns_meta_admin owns metric_properties');
select table_privs_are('uns_meta', 'metric_properties', 'uns_meta_app', array['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
                       'uns_meta_app may read and write metric_properties, delete included');
select table_privs_are('uns_meta', 'metric_properties', 'uns_meta_ro', array['SELECT'], 'uns_meta_ro may only read metric_properties');
select table_privs_are('uns_meta', 'metric_properties', 'uns_meta_cdc', array['SELECT'], 'uns_meta_cdc may only read metric_properties (published)');
select table_privs_are('uns_meta', 'metric_properties', 'public', array[]::text[], 'PUBLIC has no privilege on metric_properties');

insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'D', 'G/E/D');
insert into uns_meta.metrics (device_id, name, uns_path, datatype)
  select device_id, n, 'G/E/D/' || n, 10 from uns_meta.devices, unnest(array['m', 'lossless', 'nulls', 'nested', 'ts']) as n;
create temp table m as select name, metric_id from uns_meta.metrics;
grant select on m to uns_meta_app, uns_meta_ro, uns_meta_cdc;
-- A property statement for metric 'm': pg_temp.prop('<columns>', '<values>').
create function pg_temp.prop(cols text, vals text) returns text language sql as $$
  select format('insert into uns_meta.metric_properties (metric_id, %s) select metric_id, %s from m where name = ''m''', cols, vals)
$$;

-- Grants, by SET ROLE.
set local role uns_meta_app;
select lives_ok(pg_temp.prop('key, type, spb_type, value_string', $$'engUnit', 'string', 12, 'degC'$$), 'uns_meta_app can insert a property');
select lives_ok($$update uns_meta.metric_properties set value_string = 'K' where key = 'engUnit'$$, 'uns_meta_app can update a property');
select lives_ok($$delete from uns_meta.metric_properties where key = 'engUnit'$$, 'uns_meta_app can delete a property (dropped from a birth)');
select is((select count(*)::int from uns_meta.metric_properties where key = 'engUnit'), 0, '... and it is gone');
select throws_ok($$truncate uns_meta.metric_properties$$, '42501', 'permission denied for table metric_properties',
                 'uns_meta_app cannot truncate metric_properties');
select lives_ok(pg_temp.prop('key, type, spb_type, value_string', $$'engUnit', 'string', 12, 'degC'$$), 'uns_meta_app inserts it again');
reset role;
set local role uns_meta_ro;
select is((select value_string from uns_meta.metric_properties where key = 'engUnit'), 'degC', 'uns_meta_ro can read properties');
select throws_ok(pg_temp.prop('key, type, spb_type, value_string', $$'x', 'string', 12, 'x'$$), '42501',
                 'permission denied for table metric_properties', 'uns_meta_ro cannot insert properties');
select throws_ok($$update uns_meta.metric_properties set value_string = 'x'$$, '42501', 'permission denied for table metric_properties',
                 'uns_meta_ro cannot update properties');
select throws_ok($$delete from uns_meta.metric_properties$$, '42501', 'permission denied for table metric_properties',
                 'uns_meta_ro cannot delete properties');
reset role;
set local role uns_meta_cdc;
select is((select value_string from uns_meta.metric_properties where key = 'engUnit'), 'degC', 'uns_meta_cdc can read properties');
select throws_ok($$delete from uns_meta.metric_properties$$, '42501', 'permission denied for table metric_properties',
                 'uns_meta_cdc cannot delete properties');
reset role;

-- chk_metric_properties_type_value, every branch.
select throws_ok(pg_temp.prop('key, type, spb_type, ' || col, format('%L, %L, %s, %s', 'tv_' || typ || '_' || col, typ, spb, val)), '23514',
                 'new row for relation "metric_properties" violates check constraint "chk_metric_properties_type_value"',
                 format('type %s with its value in %s (the wrong column) is rejected', typ, col))
  from (values ('int', 3, 'value_long', '1'), ('long', 4, 'value_int', '1'), ('uint64', 8, 'value_long', '1'),
               ('float', 9, 'value_double', '1.5'), ('double', 10, 'value_float', '1.5'), ('string', 12, 'value_bool', 'true'),
               ('boolean', 11, 'value_string', '''true'''), ('datetime', 13, 'value_long', '1700000000000'),
               ('int', 3, 'value_uint64', '1'), ('string', 14, 'value_datetime', 'now()')) as t(typ, spb, col, val);
select throws_ok(pg_temp.prop('key, type, spb_type, value_int, value_long', $$'tv_two', 'int', 3, 1, 1$$), '23514',
                 'new row for relation "metric_properties" violates check constraint "chk_metric_properties_type_value"',
                 'two value columns set (the right one and another) are rejected');
select throws_ok(pg_temp.prop('key, type, spb_type, value_string, value_bool', $$'tv_two2', 'string', 12, 'x', true$$), '23514',
                 'new row for relation "metric_properties" violates check constraint "chk_metric_properties_type_value"',
                 'string plus boolean set are rejected');
select throws_ok(pg_temp.prop('key, type, spb_type', format('%L, %L, %s', 'tv_none_' || typ, typ, spb)), '23514',
                 'new row for relation "metric_properties" violates check constraint "chk_metric_properties_type_value"',
                 format('type %s with no value and is_null false is rejected', typ))
  from (values ('int', 3), ('long', 4), ('uint64', 8), ('float', 9), ('double', 10), ('string', 12), ('boolean', 11),
               ('datetime', 13)) as t(typ, spb);
select throws_ok(pg_temp.prop('key, type, spb_type, is_null, value_int', $$'tv_null_val', 'int', 3, true, 0$$), '23514',
                 'new row for relation "metric_properties" violates check constraint "chk_metric_properties_type_value"',
                 'is_null with a value is rejected');
select throws_ok(pg_temp.prop('key, type, spb_type, is_null, value_string', $$'tv_null_val2', 'string', 12, true, ''$$), '23514',
                 'new row for relation "metric_properties" violates check constraint "chk_metric_properties_type_value"',
                 'is_null with an empty string is rejected (empty is a value, not null)');
select throws_ok(pg_temp.prop('key, type, spb_type, value_string', format('%L, %L, %s, %L', 'tv_' || typ, typ, spb, '{}')), '23514',
                 'new row for relation "metric_properties" violates check constraint "chk_metric_properties_type_value"',
                 format('a %s marker with a value is rejected', typ))
  from (values ('propertyset', 20), ('propertysetlist', 21)) as t(typ, spb);
select throws_ok(pg_temp.prop('key, type, spb_type, is_null, value_int', $$'tv_set_null', 'propertyset', 20, true, 1$$), '23514',
                 'new row for relation "metric_properties" violates check constraint "chk_metric_properties_type_value"',
                 'a null propertyset marker with a value is rejected');
select throws_ok($$update uns_meta.metric_properties set value_bool = true where key = 'engUnit'$$, '23514',
                 'new row for relation "metric_properties" violates check constraint "chk_metric_properties_type_value"',
                 'chk_metric_properties_type_value also holds on UPDATE');
select throws_ok($$update uns_meta.metric_properties set type = 'text' where key = 'engUnit'$$, '22P02',
                 'invalid input value for enum uns_meta.spb_property_type: "text"', 'type accepts only the enum labels');

-- The other checks.
select throws_ok(pg_temp.prop('key, type, spb_type, value_uint64', format('%L, ''uint64'', 8, %s', 'u64_' || v, v)), '23514',
                 'new row for relation "metric_properties" violates check constraint "chk_metric_properties_uint64"',
                 format('chk_metric_properties_uint64 rejects %s', v))
  from unnest(array['18446744073709551616', '-1', '99999999999999999999']) as v;
select lives_ok(pg_temp.prop('key, type, spb_type, value_uint64', $$'u64_max', 'uint64', 8, 18446744073709551615$$),
                'chk_metric_properties_uint64 accepts 18446744073709551615');
select throws_ok(pg_temp.prop('key, type, spb_type, value_uint64', $$'u64_big', 'uint64', 8, 100000000000000000000$$), '22003',
                 null, 'a 21-digit value overflows numeric(20,0) before the check');
select throws_ok(pg_temp.prop('key, type, spb_type, value_int', format('%L, ''int'', %s, 1', 'spb_' || v, v)), '23514',
                 'new row for relation "metric_properties" violates check constraint "chk_metric_properties_spb_type"',
                 format('chk_metric_properties_spb_type rejects %s', v))
  from unnest(array['-1', '4294967296']) as v;
select lives_ok(pg_temp.prop('key, type, spb_type, value_int', $$'spb_max', 'int', 4294967295, 1$$),
                'an unknown future type code up to 4294967295 is kept');
select throws_ok(pg_temp.prop('key, type, spb_type, value_int', $$'', 'int', 3, 1$$), '23514',
                 'new row for relation "metric_properties" violates check constraint "chk_metric_properties_key"',
                 'chk_metric_properties_key rejects an empty key');
select throws_ok(pg_temp.prop('key, key_path, type, spb_type, value_int', format('%L, %L, ''int'', 3, 1', k, p)), '23514',
                 'new row for relation "metric_properties" violates check constraint "chk_metric_properties_key_path"',
                 format('chk_metric_properties_key_path rejects key %L with key_path %s (%s)', k, p, why))
  from (values ('a', '{a}', 'a one-segment path: top-level keys have key_path NULL'),
               ('a/c', '{a,b}', 'key is not property_key(key_path)'),
               ('a~1b', '{a,b}', 'key is not property_key(key_path)'),
               ('a/b/c', '{a,b/c}', 'an unescaped "/" in a nested segment'),
               ('x', '{NULL,x}', 'a NULL top-level segment'),
               ('a', '{a,NULL}', 'a NULL nested segment'),
               ('a/b', '{}', 'an empty path'),
               ('a/b', '{{a,b}}', 'a two-dimensional path'),
               ('b', '[0:1]={a,b}', 'a path not starting at index 1')) as t(k, p, why);
select throws_ok(pg_temp.prop('key, type, spb_type, value_int', $$'pk', 'int', 3, 1$$) || '; ' ||
                 pg_temp.prop('key, type, spb_type, value_int', $$'pk', 'int', 3, 2$$), '23505',
                 'duplicate key value violates unique constraint "metric_properties_pkey"', 'a key is unique per metric (metric_properties_pkey)');
select lives_ok($$insert into uns_meta.metric_properties (metric_id, key, type, spb_type, value_int)
                  select metric_id, 'engUnit', 'int', 3, 1 from m where name = 'nested'$$, 'the same key on another metric is fine');
select lives_ok(pg_temp.prop('key, type, spb_type, value_int', $$'EngUnit', 'int', 3, 1$$), 'keys are case-sensitive');
select throws_ok($$insert into uns_meta.metric_properties (metric_id, key, type, spb_type, value_int) values (-1, 'k', 'int', 3, 1)$$, '23503',
                 'insert on table "metric_properties": metric_id -1 is not in uns_meta.metrics',
                 'a property needs an existing metric');
select throws_ok($$insert into uns_meta.metric_properties (metric_id, key, type, spb_type, value_int)
                   select metric_id, 'k_many', 'int'::uns_meta.spb_property_type, 3, 1 from m union all select -7, 'k_many', 'int', 3, 1$$, '23503',
                 'insert on table "metric_properties": metric_id -7 is not in uns_meta.metrics',
                 'one orphan among many rows fails the whole statement');
select throws_ok($$update uns_meta.metric_properties set metric_id = -2 where key = 'EngUnit'$$, '23503',
                 'update on table "metric_properties": metric_id -2 is not in uns_meta.metrics',
                 'a property cannot be moved to a metric that does not exist');
select lives_ok($$update uns_meta.metric_properties set value_int = 2 where key = 'EngUnit'$$,
                'updating a property of an existing metric passes the check');
select throws_ok($$update uns_meta.metrics set metric_id = default where metric_id = (select min(metric_id) from m)$$, '23503',
                 format('update on table "metrics": metric_id %s cannot change (metric_properties, versions and lineage refer to it)',
                        (select min(metric_id) from m)),
                 'metrics.metric_id cannot change, not even to a new identity value (DEFAULT)');
select throws_ok(format($$insert into uns_meta.metric_properties (%s) select %s from m where name = 'm'$$, cols, vals), '23502',
                 format('null value in column "%s" of relation "metric_properties" violates not-null constraint', c),
                 format('metric_properties.%s cannot be NULL', c))
  from (values ('metric_id', 'metric_id, key, type, spb_type, value_int', 'null::bigint, ''nn'', ''int'', 3, 1'),
               ('key', 'metric_id, key, type, spb_type, value_int', 'metric_id, null, ''int'', 3, 1'),
               ('type', 'metric_id, key, type, spb_type, value_int', 'metric_id, ''nn'', null, 3, 1'),
               ('spb_type', 'metric_id, key, type, spb_type, value_int', 'metric_id, ''nn'', ''int'', null, 1'),
               ('is_null', 'metric_id, key, type, spb_type, is_null, value_int', 'metric_id, ''nn'', ''int'', 3, null, 1'),
               ('created_at', 'metric_id, key, type, spb_type, value_int, created_at', 'metric_id, ''nn'', ''int'', 3, 1, null'),
               ('updated_at', 'metric_id, key, type, spb_type, value_int, updated_at', 'metric_id, ''nn'', ''int'', 3, 1, null')) as t(c, cols, vals);

-- Lossless storage: every Sparkplug PropertyValue type at its limits, written by uns_meta_app as text (as a
-- client's bound parameter would be), read back by uns_meta_ro. Floating-point values are compared bit for bit
-- (float4send / float8send), everything else by its text form.
create temp table cases (key text, type uns_meta.spb_property_type, spb_type bigint, col text, input text, readback text, expected text);
grant select on cases to uns_meta_app, uns_meta_ro;
insert into cases values
  ('int8_min',        'int',     1,  'value_int',      '-128',                    'value_int::text', '-128'),
  ('int8_max',        'int',     1,  'value_int',      '127',                     'value_int::text', '127'),
  ('int16_min',       'int',     2,  'value_int',      '-32768',                  'value_int::text', '-32768'),
  ('int16_max',       'int',     2,  'value_int',      '32767',                   'value_int::text', '32767'),
  ('int32_min',       'int',     3,  'value_int',      '-2147483648',             'value_int::text', '-2147483648'),
  ('int32_max',       'int',     3,  'value_int',      '2147483647',              'value_int::text', '2147483647'),
  ('int32_plant',     'int',     3,  'value_int',      '-2147483132',             'value_int::text', '-2147483132'),
  ('uint8_max',       'int',     5,  'value_int',      '255',                     'value_int::text', '255'),
  ('uint16_max',      'int',     6,  'value_int',      '65535',                   'value_int::text', '65535'),
  ('uint32_min',      'long',    7,  'value_long',     '0',                       'value_long::text', '0'),
  ('uint32_max',      'long',    7,  'value_long',     '4294967295',              'value_long::text', '4294967295'),
  ('int64_min',       'long',    4,  'value_long',     '-9223372036854775808',    'value_long::text', '-9223372036854775808'),
  ('int64_max',       'long',    4,  'value_long',     '9223372036854775807',     'value_long::text', '9223372036854775807'),
  ('uint64_min',      'uint64',  8,  'value_uint64',   '0',                       'value_uint64::text', '0'),
  ('uint64_max',      'uint64',  8,  'value_uint64',   '18446744073709551615',    'value_uint64::text', '18446744073709551615'),
  ('uint64_int64max+1', 'uint64', 8, 'value_uint64',   '9223372036854775808',     'value_uint64::text', '9223372036854775808'),
  ('float_max',       'float',   9,  'value_float',    '3.4028235e38',            'encode(float4send(value_float), ''hex'')', '7f7fffff'),
  ('float_lowest',    'float',   9,  'value_float',    '-3.4028235e38',           'encode(float4send(value_float), ''hex'')', 'ff7fffff'),
  ('float_min_sub',   'float',   9,  'value_float',    '1.4e-45',                 'encode(float4send(value_float), ''hex'')', '00000001'),
  ('float_min_norm',  'float',   9,  'value_float',    '1.17549435e-38',          'encode(float4send(value_float), ''hex'')', '00800000'),
  ('float_plant',     'float',   9,  'value_float',    '888.5340576171875',       'encode(float4send(value_float), ''hex'')', '445e222e'),
  ('float_plant_dec', 'float',   9,  'value_float',    '888.5340576171875',       'value_float::float8::text', '888.5340576171875'),
  ('float_neg_zero',  'float',   9,  'value_float',    '-0',                      'encode(float4send(value_float), ''hex'')', '80000000'),
  ('float_inf',       'float',   9,  'value_float',    'Infinity',                'encode(float4send(value_float), ''hex'')', '7f800000'),
  ('float_neg_inf',   'float',   9,  'value_float',    '-Infinity',               'encode(float4send(value_float), ''hex'')', 'ff800000'),
  ('float_nan',       'float',   9,  'value_float',    'NaN',                     'value_float::text', 'NaN'),
  ('double_max',      'double',  10, 'value_double',   '1.7976931348623157e308',  'encode(float8send(value_double), ''hex'')', '7fefffffffffffff'),
  ('double_min_sub',  'double',  10, 'value_double',   '5e-324',                  'encode(float8send(value_double), ''hex'')', '0000000000000001'),
  ('double_min_norm', 'double',  10, 'value_double',   '2.2250738585072014e-308', 'encode(float8send(value_double), ''hex'')', '0010000000000000'),
  ('double_0.1',      'double',  10, 'value_double',   '0.1',                     'encode(float8send(value_double), ''hex'')', '3fb999999999999a'),
  ('double_plant',    'double',  10, 'value_double',   '888.5340576171875',       'encode(float8send(value_double), ''hex'')', '408bc445c0000000'),
  ('double_neg_zero', 'double',  10, 'value_double',   '-0',                      'encode(float8send(value_double), ''hex'')', '8000000000000000'),
  ('double_inf',      'double',  10, 'value_double',   'Infinity',                'encode(float8send(value_double), ''hex'')', '7ff0000000000000'),
  ('double_nan',      'double',  10, 'value_double',   'NaN',                     'value_double::text', 'NaN'),
  ('bool_true',       'boolean', 11, 'value_bool',     'true',                    'value_bool::text', 'true'),
  ('bool_false',      'boolean', 11, 'value_bool',     'false',                   'value_bool::text', 'false'),
  ('string_accents',  'string',  12, 'value_string',   'Outão SERVIÇO',           'value_string', 'Outão SERVIÇO'),
  ('string_json',     'string',  12, 'value_string',   '{"unit": "°C", "range": [-40, 125.50], "ok": true, "note": null}',
                                                                                  'value_string', '{"unit": "°C", "range": [-40, 125.50], "ok": true, "note": null}'),
  ('string_quotes',   'string',  12, 'value_string',   E'it''s a "q" \\ and\ttab',  'value_string', E'it''s a "q" \\ and\ttab'),
  ('string_spaces',   'string',  12, 'value_string',   '  padded  ',              'value_string', '  padded  '),
  ('string_empty',    'string',  12, 'value_string',   '',                        'value_string', ''),
  ('text_multiline',  'string',  14, 'value_string',   E'Linha 1\r\nLinha 2 — 🌡️ 温度', 'value_string', E'Linha 1\r\nLinha 2 — 🌡️ 温度'),
  ('uuid',            'string',  15, 'value_string',   '0F8FAD5B-D9CB-469F-A165-70867728950E', 'value_string', '0F8FAD5B-D9CB-469F-A165-70867728950E'),
  ('datetime_ms',     'datetime', 13, 'value_datetime', '2023-11-14 22:13:20.123+00', '(extract(epoch from value_datetime) * 1000)::bigint::text', '1700000000123'),
  ('datetime_epoch',  'datetime', 13, 'value_datetime', '1970-01-01 00:00:00+00',     '(extract(epoch from value_datetime) * 1000)::bigint::text', '0'),
  ('datetime_pre1970','datetime', 13, 'value_datetime', '1969-12-31 23:59:59.999+00', '(extract(epoch from value_datetime) * 1000)::bigint::text', '-1'),
  ('datetime_y9999',  'datetime', 13, 'value_datetime', '9999-12-31 23:59:59.999+00', '(extract(epoch from value_datetime) * 1000)::bigint::text', '253402300799999'),
  ('datetime_tz',     'datetime', 13, 'value_datetime', '2024-03-31 02:30:00.5+01',   '(extract(epoch from value_datetime) * 1000)::bigint::text', '1711848600500');
set local role uns_meta_app;
select lives_ok(string_agg(format('insert into uns_meta.metric_properties (metric_id, key, type, spb_type, %I) '
                                  'select metric_id, %L, %L, %s, %L from m where name = ''lossless''',
                                  col, key, type, spb_type, input), '; '),
                'uns_meta_app writes one property per type and limit')
  from cases;
reset role;
create function pg_temp.readback(k text, expr text) returns text language plpgsql as $$
declare r text;
begin
  execute format('select %s from uns_meta.metric_properties p join m using (metric_id) where m.name = ''lossless'' and p.key = %L', expr, k) into r;
  return r;
end $$;
set local role uns_meta_ro;
select is(pg_temp.readback(key, readback), expected,
          format('%s (%s, spb_type %s) reads back exactly from %s: %s', key, type, spb_type, col,
                 regexp_replace(expected, '[[:cntrl:]]', ' ', 'g')))
  from cases order by key;
select is((select count(*)::int from uns_meta.metric_properties p join m using (metric_id)
            where m.name = 'lossless' and num_nonnulls(value_int, value_long, value_uint64, value_float, value_double,
                                                       value_string, value_bool, value_datetime) = 1 and not is_null),
          (select count(*)::int from cases), 'every lossless row holds exactly one value');
reset role;
-- What holds for -0 and for the text form of Float.
select is((select value_float::text from uns_meta.metric_properties where key = 'float_plant'), '888.53406',
          'Float text output is the shortest round-trip form for float4 (888.53406): read value_float::float8 for the exact decimal');
select ok((select value_double = 0 from uns_meta.metric_properties where key = 'double_neg_zero'),
          'Double -0 is stored with its sign bit but compares equal to 0 (IEEE 754)');
select is((select value_double::text from uns_meta.metric_properties where key = 'double_neg_zero'), '-0',
          '... and its text form keeps the sign: -0');
select throws_ok($$select convert_from('\x610062'::bytea, 'UTF8')$$, '22021', 'invalid byte sequence for encoding "UTF8": 0x00',
                 'limit: a String containing U+0000 cannot be stored in text (PostgreSQL rejects NUL characters)');

-- Explicit null (PropertyValue.is_null) for every value type.
set local role uns_meta_app;
select lives_ok(string_agg(format('insert into uns_meta.metric_properties (metric_id, key, type, spb_type, is_null) '
                                  'select metric_id, %L, %L, %s, true from m where name = ''nulls''', 'null_' || typ, typ, spb), '; '),
                'an explicit null is stored for every value type')
  from (values ('int', 3), ('long', 4), ('uint64', 8), ('float', 9), ('double', 10), ('string', 12), ('boolean', 11),
               ('datetime', 13), ('propertyset', 20), ('propertysetlist', 21)) as t(typ, spb);
reset role;
select results_eq($$select type::text, spb_type, is_null,
                           num_nonnulls(value_int, value_long, value_uint64, value_float, value_double, value_string, value_bool, value_datetime)
                      from uns_meta.metric_properties p join m using (metric_id) where m.name = 'nulls' order by p.type$$,
                  $$values ('int', 3::bigint, true, 0), ('long', 4, true, 0), ('float', 9, true, 0), ('double', 10, true, 0),
                           ('string', 12, true, 0), ('boolean', 11, true, 0), ('uint64', 8, true, 0), ('datetime', 13, true, 0),
                           ('propertyset', 20, true, 0), ('propertysetlist', 21, true, 0)$$,
                  'explicit nulls read back with their type and no value, distinct from an absent property');

-- Nested PropertySet / PropertySetList: markers plus members under key paths, the nesting recoverable.
set local role uns_meta_app;
select lives_ok($$
  insert into uns_meta.metric_properties (metric_id, key, key_path, type, spb_type, value_int, value_double, value_string, value_bool)
  select metric_id, k, kp, t::uns_meta.spb_property_type, s, vi, vd, vs, vb
    from m, (values
      ('limits',            null::text[],                  'propertyset',     20, null::int, null::float8, null::text, null::boolean),
      ('limits/high',       '{limits,high}',               'double',          10, null, 125.5, null, null),
      ('limits/low',        '{limits,low}',                'double',          10, null, -40, null, null),
      ('alarms',            null,                          'propertysetlist', 21, null, null, null, null),
      ('alarms/0',          '{alarms,0}',                  'propertyset',     20, null, null, null, null),
      ('alarms/0/setpoint', '{alarms,0,setpoint}',         'int',              3, 90, null, null, null),
      ('alarms/0/enabled',  '{alarms,0,enabled}',          'boolean',         11, null, null, null, true),
      ('alarms/1',          '{alarms,1}',                  'propertyset',     20, null, null, null, null),
      ('alarms/1/setpoint', '{alarms,1,setpoint}',         'int',              3, 95, null, null, null),
      ('cfg',               null,                          'propertyset',     20, null, null, null, null),
      ('cfg/a~1b',          '{cfg,a/b}',                   'string',          12, null, null, 'slash', null),
      ('cfg/a~0b',          '{cfg,a~b}',                   'string',          12, null, null, 'tilde', null),
      ('cfg/Outão',         '{cfg,Outão}',                 'string',          12, null, null, 'SERVIÇO', null),
      ('cfg/deep',          '{cfg,deep}',                  'propertysetlist', 21, null, null, null, null),
      ('cfg/deep/0',        '{cfg,deep,0}',                'propertyset',     20, null, null, null, null),
      ('cfg/deep/0/x',      '{cfg,deep,0,x}',              'int',              3, -1, null, null, null)
    ) as v(k, kp, t, s, vi, vd, vs, vb)
   where m.name = 'nested'$$, 'uns_meta_app writes a nested PropertySet, a PropertySetList and escaped member names');
reset role;
select results_eq($$select key, key_path, type::text from uns_meta.metric_properties join m using (metric_id)
                     where m.name = 'nested' and key_path[1] = 'alarms' order by key_path[2]::int, cardinality(key_path), key$$,
                  $$values ('alarms/0', '{alarms,0}'::text[], 'propertyset'), ('alarms/0/enabled', '{alarms,0,enabled}', 'boolean'),
                           ('alarms/0/setpoint', '{alarms,0,setpoint}', 'int'), ('alarms/1', '{alarms,1}', 'propertyset'),
                           ('alarms/1/setpoint', '{alarms,1,setpoint}', 'int')$$,
                  'the items of a PropertySetList are recovered in order from key_path');
select is((select value_string from uns_meta.metric_properties where key_path = '{cfg,a/b}'), 'slash',
          'a member named "a/b" is found by its unescaped key path');
select is((select count(*)::int from uns_meta.metric_properties p join m using (metric_id)
            where m.name = 'nested' and p.key_path is not null and p.key is distinct from uns_meta.property_key(p.key_path)), 0,
          'every nested row satisfies key = property_key(key_path)');
select is((select count(*)::int from uns_meta.metric_properties c join m using (metric_id)
            where m.name = 'nested' and c.key_path is not null
              and not exists (select 1 from uns_meta.metric_properties p
                               where p.metric_id = c.metric_id
                                 and p.key = uns_meta.property_key(c.key_path[1:cardinality(c.key_path) - 1])
                                 and p.type in ('propertyset', 'propertysetlist'))
              and cardinality(c.key_path) > 2), 0,
          'every member deeper than one level has its parent set marker');
select is((select count(*)::int from uns_meta.metric_properties c join m using (metric_id)
            where m.name = 'nested' and cardinality(c.key_path) = 2
              and not exists (select 1 from uns_meta.metric_properties p
                               where p.metric_id = c.metric_id and p.key = c.key_path[1] and p.key_path is null
                                 and p.type in ('propertyset', 'propertysetlist'))), 0,
          'every first-level member has its top-level set marker');
select is((select value_int from uns_meta.metric_properties where key = 'cfg/deep/0/x'), -1, 'a value four levels deep reads back');

-- Timestamps: created_at immutable, updated_at idempotent.
insert into uns_meta.metric_properties (metric_id, key, type, spb_type, value_double, created_at, updated_at)
  select metric_id, 'hi', 'double', 10, 0, '2001-01-01 00:00:00+00', '2001-01-02 00:00:00+00' from m where name = 'ts';
create temp table seen as select * from uns_meta.metric_properties where key = 'hi';
update uns_meta.metric_properties set value_double = value_double where key = 'hi';
update uns_meta.metric_properties set value_double = 0, type = 'double', spb_type = 10, is_null = false where key = 'hi';
select results_eq($$select * from uns_meta.metric_properties where key = 'hi'$$, $$select * from seen$$,
                  'two identical UPDATEs leave the property row, updated_at included, unchanged');
update uns_meta.metric_properties set value_double = '-0' where key = 'hi';
select is((select updated_at from uns_meta.metric_properties where key = 'hi'), (select updated_at from seen),
          'what holds: 0 -> -0 is not seen as a change by updated_at (the trigger compares jsonb, where -0 = 0) ...');
select is((select encode(float8send(value_double), 'hex') from uns_meta.metric_properties where key = 'hi'), '8000000000000000',
          '... but the UPDATE is applied: the sign bit is stored');
update uns_meta.metric_properties set value_double = 1.5 where key = 'hi';
select is((select updated_at from uns_meta.metric_properties where key = 'hi'), now(), 'a changed value moves updated_at to now()');
update uns_meta.metric_properties set updated_at = '2001-01-02 00:00:00+00' where key = 'hi';
select is((select updated_at from uns_meta.metric_properties where key = 'hi'), now(), 'updated_at cannot be set back by hand');
set local role uns_meta_app;
update uns_meta.metric_properties set value_double = null, is_null = true where key = 'hi';
reset role;
select is((select is_null from uns_meta.metric_properties where key = 'hi'), true, 'uns_meta_app can turn a value into an explicit null');
select throws_ok($$update uns_meta.metric_properties set created_at = now() where key = 'hi'$$, 'U0101',
                 'uns_meta.metric_properties.created_at cannot change (it stays 2001-01-01 00:00:00+00)',
                 'metric_properties.created_at cannot change (U0101)');
set local role uns_meta_app;
select alike(pg_temp.error_of($$update uns_meta.metric_properties set created_at = now() where key = 'hi'$$),
             'U0101 created_at_immutable: %', 'uns_meta_app gets U0101 with constraint created_at_immutable');
reset role;

-- ON DELETE CASCADE from metrics (as admin).
create temp table doomed as select metric_id from m where name = 'nested';
select ok((select count(*) from uns_meta.metric_properties where metric_id in (select metric_id from doomed)) > 10, 'the metric has properties');
delete from uns_meta.metrics where metric_id in (select metric_id from doomed);
select is((select count(*)::int from uns_meta.metric_properties where metric_id in (select metric_id from doomed)), 0,
          'deleting a metric deletes its properties (ON DELETE CASCADE)');
select ok((select count(*) from uns_meta.metric_properties) > 0, 'other metrics keep their properties');
savepoint before_truncate;
truncate uns_meta.metrics cascade;
select is((select count(*)::int from uns_meta.metric_properties), 0, 'truncating metrics empties metric_properties');
rollback to savepoint before_truncate;
select lives_ok($$truncate uns_meta.metrics, uns_meta.metric_properties cascade$$, 'metrics and metric_properties truncate together');

select * from finish();
rollback;
