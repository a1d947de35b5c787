-- pgTAP: ingest_birth decodes the common PropertyValues on a short path of its own (jsonb_to_recordset columns) and
-- the rest with uns_meta.decode_property_value. Both must store exactly what decode_property_value gives: here a
-- birth whose values sit on and around the short path's edges (numbers as strings, limits, NaN, isNull spelled
-- every way, unknown fields) is compared, value by value, with decode_property_value of the same JSON.
begin;
set local timezone = 'UTC';
set local extra_float_digits = 1;
set local statement_timeout = '30s';
select plan(3);
\ir _helpers.psql

create temp table cases (key text, pv jsonb);
insert into cases values
  ('i32', '{"type": 3, "intValue": 2147484164}'), ('i32_str', '{"type": 3, "intValue": "2147484164"}'),
  ('i32_type_str', '{"type": "3", "intValue": 7}'), ('i32_max', '{"type": 3, "intValue": 4294967295}'),
  ('i32_zero', '{"type": 3, "intValue": 0}'), ('i32_neg', '{"type": 3, "intValue": -5}'),
  ('i32_big', '{"type": 3, "intValue": 4294967296}'), ('i32_long', '{"type": 3, "longValue": "4294967295"}'),
  ('i32_null_false', '{"type": 3, "intValue": 1, "isNull": false}'), ('i32_null_false_str', '{"type": 3, "intValue": 1, "isNull": "false"}'),
  ('i32_null_json', '{"type": 3, "intValue": 1, "isNull": null}'), ('i32_null', '{"type": 3, "isNull": true}'),
  ('f', '{"type": 9, "floatValue": 0.1}'), ('f_max', '{"type": 9, "floatValue": 3.4028235e38}'),
  ('f_min', '{"type": 9, "floatValue": 1.2e-38}'), ('f_denormal', '{"type": 9, "floatValue": 1e-40}'),
  ('f_nan', '{"type": 9, "floatValue": "NaN"}'), ('f_str', '{"type": 9, "floatValue": "1.5"}'), ('f_zero', '{"type": 9, "floatValue": -0}'),
  ('d', '{"type": 10, "doubleValue": 0.1}'), ('d_max', '{"type": 10, "doubleValue": 1.7976931348623157e308}'),
  ('d_denormal', '{"type": 10, "doubleValue": 5e-324}'), ('d_inf', '{"type": 10, "doubleValue": "-Infinity"}'),
  ('b', '{"type": 11, "booleanValue": true}'), ('b_false', '{"type": 11, "booleanValue": false}'),
  ('s', '{"type": 12, "stringValue": "a \"quoted\" ü"}'), ('s_empty', '{"type": 12, "stringValue": ""}'),
  ('text', '{"type": 14, "stringValue": "t"}'), ('uuid', '{"type": 15, "stringValue": "u"}'),
  ('s_extra', '{"type": 12, "stringValue": "x", "intValue": 3}'), ('s_null', '{"type": 12, "isNull": true, "stringValue": ""}'),
  ('i8', '{"type": 1, "intValue": 255}'), ('u32', '{"type": 7, "intValue": 4294967295}'), ('i64', '{"type": 4, "longValue": "18446744073709551615"}'),
  ('u64', '{"type": 8, "longValue": "18446744073709551615"}'), ('dt', '{"type": 13, "longValue": "1700000000123"}'),
  ('unknown', '{"type": 99, "stringValue": "kept"}');

select jsonb_build_array(jsonb_build_object('name', 'M', 'datatype', 12, 'properties',
         jsonb_build_object('keys', (select jsonb_agg(key order by key) from cases), 'values', (select jsonb_agg(pv order by key) from cases)))) as metrics \gset
set local role uns_meta_app;
select pg_temp.birth('D', :'metrics') as r \gset
reset role;

select is((select count(*)::int from uns_meta.metric_properties), (select count(*)::int from cases), 'every case is stored');
select bag_eq($$select key, spb_type, is_null, type, value_int, value_long, value_uint64, value_float, value_double,
                       value_string, value_bool, value_datetime from uns_meta.metric_properties$$,
              $$select c.key, d.spb_type, d.is_null, d.type, d.value_int, d.value_long, d.value_uint64, d.value_float, d.value_double,
                       d.value_string, d.value_bool, d.value_datetime from cases as c cross join lateral uns_meta.decode_property_value(c.pv) as d$$,
              'the stored values are exactly decode_property_value''s, on and off the short path');
-- A values element that is not an object makes the short path fail; the general path names it.
set local role uns_meta_app;
select is(pg_temp.error_of($$select pg_temp.birth('D2', '[{"name": "M", "datatype": 12, "properties": {"keys": ["a", "b"], "values": [{"type": 12, "stringValue": "x"}, 7]}}]')$$),
          'U0001: ingest_birth: payload.metrics[0] (M): property b: "type" is missing or not an integer 0..4294967295',
          'a property value that is not an object falls back to the general path, which names it');
reset role;

select * from finish();
rollback;
