-- pgTAP: functions/metric_history. property_version_json / property_from_version_json carry a stored property
-- through a version diff and back exactly (spb_type, storage class, key_path, every typed value, NaN and ±Infinity,
-- 64-bit extremes, DateTime, explicit nulls, unknown type codes, rows whose class the type does not imply);
-- spb_datatype_code inverts spb_datatype_name; metric_properties_as_of / metric_state_at_version /
-- metric_states_as_of reconstruct a hand-made history, including an old-style "created" version that repeats the
-- whole property set (versions written before v0.5 stay readable), and complete_version_diffs, which gives such old
-- diffs the key_path and class they lack. The randomised proof over real births is
-- test/database/metric-history-random.test.ts.
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
select plan(24);

-- 1. Structure and rights ---------------------------------------------------------------------------------------------
select function_returns('uns_meta', 'metric_properties_as_of', array['bigint', 'timestamp with time zone'], 'setof record',
                        'metric_properties_as_of(metric_id, at) returns rows');
select function_returns('uns_meta', 'metric_state_at_version', array['bigint', 'integer'], 'uns_meta.metric_state',
                        'metric_state_at_version(metric_id, version_no) returns a uns_meta.metric_state');
select function_returns('uns_meta', 'metric_states_as_of', array['timestamp with time zone', 'bigint', 'text'], 'setof uns_meta.metric_state',
                        'metric_states_as_of(at, device_id, path_prefix) returns a set of them');
select ok(has_function_privilege('uns_meta_ro', 'uns_meta.metric_properties_as_of(bigint, timestamptz)', 'execute')
          and has_function_privilege('uns_meta_ro', 'uns_meta.metric_states_as_of(timestamptz, bigint, text)', 'execute')
          and has_function_privilege('uns_meta_ro', 'uns_meta.metric_state_at_version(bigint, integer)', 'execute'),
          'analysts (uns_meta_ro) may call the history functions');
select is((select count(*)::int from pg_proc where pronamespace = 'uns_meta'::regnamespace and (prosecdef or proconfig is not null)
             and proname in ('metric_properties_as_of', 'metric_properties_at_version', 'metric_state_at_version', 'metric_states_as_of',
                             'metric_version_at', 'property_from_version_json', 'property_version_json')), 0,
          'none of them is SECURITY DEFINER or sets a parameter (they read with the caller''s rights, and inline)');

-- 2. spb_datatype_code inverts spb_datatype_name ------------------------------------------------------------------------
select is((select count(*)::int from (values (0::bigint), (1), (3), (14), (20), (21), (34), (35), (99), (4294967295)) as c(code)
            where uns_meta.spb_datatype_code(uns_meta.spb_datatype_name(code)) is distinct from code), 0,
          'spb_datatype_code(spb_datatype_name(c)) = c for known, 0 and unknown codes');
select is(uns_meta.spb_datatype_code('NotAType'), null, 'a name it did not give: NULL');

-- 3. A stored row through the diff JSON and back: exactly the same ------------------------------------------------------
create temp table rowset (key text, key_path text[], type uns_meta.spb_property_type, spb_type bigint, is_null boolean,
                          value_int integer, value_long bigint, value_uint64 numeric, value_float real, value_double double precision,
                          value_string text, value_bool boolean, value_datetime timestamptz);
insert into rowset values
  ('i8', null, 'int', 1, false, -128, null, null, null, null, null, null, null),
  ('u32', null, 'long', 7, false, null, 4294967295, null, null, null, null, null, null),
  ('i64', null, 'long', 4, false, null, -9223372036854775808, null, null, null, null, null, null),
  ('u64', null, 'uint64', 8, false, null, null, 18446744073709551615, null, null, null, null, null),
  ('f_small', null, 'float', 9, false, null, null, null, 1.4e-45, null, null, null, null),
  ('f_tenth', null, 'float', 9, false, null, null, null, 0.1, null, null, null, null),
  ('f_nan', null, 'float', 9, false, null, null, null, 'NaN', null, null, null, null),
  ('d_ninf', null, 'double', 10, false, null, null, null, null, '-Infinity', null, null, null),
  ('d_pi', null, 'double', 10, false, null, null, null, null, 3.141592653589793, null, null, null),
  ('d_tiny', null, 'double', 10, false, null, null, null, null, 5e-324, null, null, null),
  ('s', null, 'string', 12, false, null, null, null, null, null, 'Válvula "2" \ ok', null, null),
  ('uuid', null, 'string', 15, false, null, null, null, null, null, '123e4567-e89b-12d3-a456-426614174000', null, null),
  ('b', null, 'boolean', 11, false, null, null, null, null, null, null, false, null),
  ('dt', null, 'datetime', 13, false, null, null, null, null, null, null, null, '1970-01-01 00:00:00.001+00'),
  ('null_u64', null, 'uint64', 8, true, null, null, null, null, null, null, null, null),
  ('unknown', null, 'string', 4294967295, false, null, null, null, null, null, 'future', null, null),
  ('unknown_null', null, 'double', 99, true, null, null, null, null, null, null, null, null),
  ('dba_class', null, 'long', 3, false, null, 7, null, null, null, null, null, null),
  ('set', null, 'propertyset', 20, false, null, null, null, null, null, null, null, null),
  ('set/a~1b', '{set,a/b}', 'int', 2, false, -2, null, null, null, null, null, null, null),
  ('list/0/x', '{list,0,x}', 'propertysetlist', 21, false, null, null, null, null, null, null, null, null);
select is((select count(*)::int from rowset as r
            cross join lateral uns_meta.property_from_version_json(uns_meta.property_version_json(r.key_path, r.spb_type, r.is_null,
                         r.type, r.value_int, r.value_long, r.value_uint64, r.value_float, r.value_double, r.value_string, r.value_bool,
                         r.value_datetime)) as d
            where (d.key_path, d.type, d.spb_type, d.is_null, d.value_int, d.value_long, d.value_uint64, d.value_float::text, d.value_double::text,
                   d.value_string, d.value_bool, d.value_datetime)
                  is not distinct from
                  (r.key_path, r.type, r.spb_type, r.is_null, r.value_int, r.value_long, r.value_uint64, r.value_float::text, r.value_double::text,
                   r.value_string, r.value_bool, r.value_datetime)), 21,
          'all 21 rows read back identical (float and double compared as text: NaN, -0, 1.4e-45, 5e-324 bit for bit)');
select is(uns_meta.property_version_json(null, 3, false, 'long', null, 7, null, null, null, null, null, null),
          '{"type": "Int32", "value": 7, "class": "long"}'::jsonb, 'a class the type does not imply is carried as "class"');
select is(uns_meta.property_version_json('{set,a/b}', 2, false, 'int', -2, null, null, null, null, null, null, null),
          '{"type": "Int16", "value": -2, "key_path": ["set", "a/b"]}'::jsonb, 'a nested member carries its key_path');

-- 4. A hand-made history: old-style created version (full property set), then changes ----------------------------------
insert into uns_meta.devices (group_id, edge, device, country, business_unit, uns_path) values ('G', 'E', 'H', 'E', 'H', 'G/E/H');
insert into uns_meta.metrics (device_id, name, uns_path, datatype, version)
  select device_id, 'm', 'G/E/H/m2', 10, 4 from uns_meta.devices where device = 'H';
create temp table m as select metric_id from uns_meta.metrics where name = 'm' and uns_path = 'G/E/H/m2';
alter table uns_meta.metric_properties disable trigger _300_record_change_insert;  -- the rows as a pre-v0.5 catalog holds them
insert into uns_meta.metric_properties (metric_id, key, type, spb_type, value_string) select metric_id, 'engUnit', 'string', 12, 'K' from m;
insert into uns_meta.metric_properties (metric_id, key, type, spb_type, value_double) select metric_id, 'engHigh', 'double', 10, 100 from m;
alter table uns_meta.metric_properties enable trigger _300_record_change_insert;
insert into uns_meta.metric_versions (metric_id, version_no, change_kind, changed_at, diff)
select metric_id, v, k, t::timestamptz, d::jsonb from m, (values
  (1, 'created', '2026-01-01T00:00:00Z', '{"datatype": {"new": 9}, "uns_path": {"new": "G/E/H/m"},
     "properties": {"added": {"engUnit": {"type": "String", "value": "degC"}, "Quality": {"type": "Int32", "value": 192}}}}'),
  (2, 'updated', '2026-02-01T00:00:00Z', '{"properties": {"changed": {"engUnit": {"old": {"type": "String", "value": "degC"}, "new": {"type": "String", "value": "K"}}},
     "added": {"engHigh": {"type": "Double", "value": 100}}}, "datatype": {"old": 9, "new": 10}}'),
  (3, 'retired', '2026-03-01T00:00:00Z', '{"retired_at": {"old": null, "new": "2026-03-01T00:00:00+00:00"}}'),
  (4, 'revived', '2026-04-01T00:00:00Z', '{"retired_at": {"old": "2026-03-01T00:00:00+00:00", "new": null},
     "properties": {"removed": {"Quality": {"type": "Int32", "value": 192}}}, "uns_path": {"old": "G/E/H/m", "new": "G/E/H/m2"}}')
) as h(v, k, t, d);

select is((select count(*)::int from uns_meta.metric_properties_as_of((select metric_id from m), '2025-12-31T23:59:59Z')), 0,
          'before its creation: no properties');
select results_eq($$select key, type::text, value_int, value_string from uns_meta.metric_properties_as_of((select metric_id from m), '2026-01-15T00:00:00Z') order by key$$,
                  $$values ('Quality', 'int', 192, null), ('engUnit', 'string', null, 'degC')$$,
                  'after version 1 (an old-style full "created" version): engUnit degC and Quality 192');
select results_eq($$select key, value_int, value_double, value_string from uns_meta.metric_properties_as_of((select metric_id from m), '2026-02-01T00:00:00Z') order by key$$,
                  $$values ('Quality', 192, null::float8, null), ('engHigh', null, 100, null), ('engUnit', null, null, 'K')$$,
                  'at the instant of version 2: its changes included');
select results_eq($$select key from uns_meta.metric_properties_as_of((select metric_id from m), 'infinity') order by key$$,
                  $$values ('engHigh'), ('engUnit')$$, 'now: the current rows');
select results_eq($$select version_no, change_kind, uns_path, datatype, retired_at from uns_meta.metric_states_as_of('2026-03-15T00:00:00Z', (select device_id from uns_meta.devices where device = 'H'))$$,
                  $$values (3, 'retired', 'G/E/H/m', 10::bigint, '2026-03-01T00:00:00Z'::timestamptz)$$,
                  'metric_states_as_of a device: version 3, retired, under its old path and the datatype version 2 set');
select is((uns_meta.metric_state_at_version((select metric_id from m), 1)).properties,
          '{"Quality": {"type": "Int32", "value": 192}, "engUnit": {"type": "String", "value": "degC"}}'::jsonb,
          'metric_state_at_version: the properties as typed JSON');
select results_eq($$select version_no from uns_meta.metric_states_as_of('2026-03-15T00:00:00Z', path_prefix => 'G/E/H')$$, $$values (3)$$,
                  'metric_states_as_of a path prefix (its path then: G/E/H/m)');
select is((select count(*)::int from uns_meta.metric_states_as_of('2026-03-15T00:00:00Z', path_prefix => 'G/E/H/m2')), 0,
          '... not under the path it got later');
select is(uns_meta.metric_state_at_version((select metric_id from m), 5), null, 'a version that does not exist: NULL');
select is(uns_meta.metric_version_at((select metric_id from m), '2026-03-01T00:00:00Z'), 3, 'metric_version_at: the last version at or before the time');

-- 5. complete_version_diffs: pre-v0.5 diffs get key_path and class where the catalog tells ---------------------------
insert into uns_meta.metrics (device_id, name, uns_path, datatype, version)
  select device_id, 'n', 'G/E/H/n', 10, 2 from uns_meta.devices where device = 'H';
create temp table n as select metric_id from uns_meta.metrics where name = 'n';
alter table uns_meta.metric_properties disable trigger _300_record_change_insert;
insert into uns_meta.metric_properties (metric_id, key, key_path, type, spb_type, value_int)
  select metric_id, k, p, t::uns_meta.spb_property_type, c, v from n,
  (values ('set', null::text[], 'propertyset', 20, null::int), ('set/a', '{set,a}', 'int', 3, 1)) as x(k, p, t, c, v);
alter table uns_meta.metric_properties enable trigger _300_record_change_insert;
insert into uns_meta.metric_versions (metric_id, version_no, change_kind, changed_at, diff)
select metric_id, v, k, t::timestamptz, d::jsonb from n, (values
  (1, 'created', '2026-01-01T00:00:00Z', '{"properties": {"added": {"set": {"type": "PropertySet"}, "set/a": {"type": "Int32", "value": 0},
     "set/b~1c": {"type": "Int8", "value": -1}, "unk": {"type": "Unknown(99)", "value": 5}}}}'),
  (2, 'updated', '2026-02-01T00:00:00Z', '{"properties": {"changed": {"set/a": {"old": {"type": "Int32", "value": 0}, "new": {"type": "Int32", "value": 1}}},
     "removed": {"set/b~1c": {"type": "Int8", "value": -1}, "unk": {"type": "Unknown(99)", "value": 5}}}}')
) as h(v, k, t, d);
select is(uns_meta.complete_version_diffs(), 2, 'complete_version_diffs completes the two old versions');
select is((select diff from uns_meta.metric_versions where metric_id = (select metric_id from n) and version_no = 2),
          '{"properties": {"changed": {"set/a": {"old": {"type": "Int32", "value": 0, "key_path": ["set", "a"]},
                                                 "new": {"type": "Int32", "value": 1, "key_path": ["set", "a"]}}},
                           "removed": {"set/b~1c": {"type": "Int8", "value": -1, "key_path": ["set", "b/c"]},
                                       "unk": {"type": "Unknown(99)", "value": 5, "class": "long"}}}}'::jsonb,
          'key_path from the current row, or from the top-level marker the key extends (unescaped); class of an unknown type from its value');
select is(uns_meta.complete_version_diffs(), 0, 'a second run changes nothing');
select results_eq($$select key, key_path, type::text, spb_type, value_int, value_long
                      from uns_meta.metric_properties_at_version((select metric_id from n), 1) order by key$$,
                  $$values ('set', null::text[], 'propertyset', 20::bigint, null::int, null::bigint), ('set/a', '{set,a}', 'int', 3, 0, null),
                           ('set/b~1c', '{set,b/c}', 'int', 1, -1, null), ('unk', null, 'long', 99, null, 5)$$,
                  'and the old history reads back exactly');

select * from finish();
rollback;
