-- pgTAP: every Sparkplug PropertyValue type round-tripped through uns_meta.ingest_birth at its limits, into the
-- lossless typed columns of metric_properties: sign extension of Int8/16/32 from their uint32 (and from 64-bit
-- sign-extended or negative encodings), UInt32 in intValue and longValue, Int64 as two's complement uint64
-- strings and as numbers, UInt64 max, Float/Double with NaN and infinities, Boolean, String, Text, UUID,
-- DateTime, explicit nulls, unknown type codes, and PropertySet / PropertySetList nested two levels deep with
-- their key paths and marker rows. decode_property_value itself: sql-tests/functions/decode_property_value.sql.
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local extra_float_digits = 1;
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(27);
\ir _helpers.psql

select $json$[{"name": "types", "datatype": 12, "properties": {
  "keys": ["i8_255", "i8_128", "i8_127", "i8_sx64", "i8_neg", "i8_0",
           "i16_65535", "i16_32768", "i16_32767", "i16_sx64",
           "i32_u32max", "i32_2p31", "i32_max", "i32_sx64", "i32_neg", "i32_quality",
           "u8_255", "u16_65535", "u32_int", "u32_long", "u32_long_num",
           "i64_max_s", "i64_min_u", "i64_m1_u", "i64_min_n", "i64_max_n", "i64_m1_s",
           "u64_max", "u64_zero", "u64_2p53p1",
           "f_max", "f_min", "f_nan", "f_inf", "f_ninf", "f_tiny", "f_frac",
           "d_max", "d_tiny", "d_nan", "d_inf", "d_ninf", "d_pi",
           "b_t", "b_f", "s_empty", "s_accents", "s_json", "text", "uuid",
           "dt_0", "dt_max", "dt_plant", "dt_int",
           "null_i32", "null_str_with_value", "null_u64", "null_false",
           "unk_99_int", "unk_max_str", "unk_0_long", "dataset_bool", "bytes_double",
           "limits", "alarms", "null_set", "empty_list"],
  "values": [
    {"type": 1, "intValue": 255}, {"type": 1, "intValue": 128}, {"type": 1, "intValue": 127},
    {"type": 1, "intValue": "18446744073709551615"}, {"type": 1, "intValue": -1}, {"type": 1, "intValue": 0},
    {"type": 2, "intValue": 65535}, {"type": 2, "intValue": 32768}, {"type": 2, "intValue": 32767},
    {"type": 2, "intValue": "18446744073709518848"},
    {"type": 3, "intValue": 4294967295}, {"type": 3, "intValue": 2147483648}, {"type": 3, "intValue": 2147483647},
    {"type": 3, "intValue": "18446744071562067968"}, {"type": 3, "intValue": -2147483648}, {"type": 3, "intValue": 2147484164},
    {"type": 5, "intValue": 255}, {"type": 6, "intValue": 65535}, {"type": 7, "intValue": 4294967295},
    {"type": 7, "longValue": "4294967295"}, {"type": 7, "longValue": 4294967294},
    {"type": 4, "longValue": "9223372036854775807"}, {"type": 4, "longValue": "9223372036854775808"},
    {"type": 4, "longValue": "18446744073709551615"}, {"type": 4, "longValue": -9223372036854775808},
    {"type": 4, "longValue": 9223372036854775807}, {"type": 4, "longValue": "-1"},
    {"type": 8, "longValue": "18446744073709551615"}, {"type": 8, "longValue": "0"}, {"type": 8, "longValue": 9007199254740993},
    {"type": 9, "floatValue": 3.4028235e38}, {"type": 9, "floatValue": -3.4028235e38}, {"type": 9, "floatValue": "NaN"},
    {"type": 9, "floatValue": "Infinity"}, {"type": 9, "floatValue": "-Infinity"}, {"type": 9, "floatValue": 1.4e-45},
    {"type": 9, "floatValue": 0.1},
    {"type": 10, "doubleValue": 1.7976931348623157e308}, {"type": 10, "doubleValue": 5e-324}, {"type": 10, "doubleValue": "NaN"},
    {"type": 10, "doubleValue": "Infinity"}, {"type": 10, "doubleValue": "-Infinity"}, {"type": 10, "doubleValue": 3.141592653589793},
    {"type": 11, "booleanValue": true}, {"type": 11, "booleanValue": false}, {"type": 12, "stringValue": ""},
    {"type": 12, "stringValue": "EXT SILO 23 - FORA SERVIÇO"}, {"type": 12, "stringValue": "{\"a\": [1, \"b\"]}"},
    {"type": 14, "stringValue": "line 1\nline 2\ttab"}, {"type": 15, "stringValue": "123e4567-e89b-12d3-a456-426614174000"},
    {"type": 13, "longValue": "0"}, {"type": 13, "longValue": "253402300799999"}, {"type": 13, "longValue": "1756392554609"},
    {"type": 13, "intValue": 1000},
    {"type": 3, "isNull": true}, {"type": 12, "isNull": true, "stringValue": "ignored"}, {"type": 8, "isNull": true},
    {"type": 11, "isNull": false, "booleanValue": false},
    {"type": 99, "intValue": 5}, {"type": 4294967295, "stringValue": "future"}, {"type": 0, "longValue": "18446744073709551615"},
    {"type": 16, "booleanValue": true}, {"type": 17, "doubleValue": 2.5},
    {"type": 20, "propertysetValue": {"keys": ["high", "low", "a/b", "t~"],
                                      "values": [{"type": 10, "doubleValue": 100.5}, {"type": 10, "doubleValue": -1},
                                                 {"type": 12, "stringValue": "slash"}, {"type": 1, "intValue": 255}]}},
    {"type": 21, "propertysetsValue": {"propertyset": [
       {"keys": ["setpoint", "cfg"],
        "values": [{"type": 9, "floatValue": 1.5},
                   {"type": 20, "propertysetValue": {"keys": ["x", "deep"],
                                                     "values": [{"type": 2, "intValue": 65534},
                                                                {"type": 21, "propertysetsValue": {"propertyset": [
                                                                   {"keys": ["y"], "values": [{"type": 11, "booleanValue": true}]}]}}]}}]},
       {}]}},
    {"type": 20, "isNull": true},
    {"type": 21, "propertysetsValue": {}}
  ]}}]$json$ as types \gset

set local role uns_meta_app;
select pg_temp.birth('T', :'types', '2026-11-21T10:00:00Z') as r1 \gset
reset role;
create temp view p as
  select key, key_path, type::text as type, spb_type, is_null, value_int, value_long, value_uint64, value_float, value_double,
         value_string, value_bool, value_datetime
    from uns_meta.metric_properties where metric_id = pg_temp.metric_id('T', 'types');

select is(pg_temp.summary(:'r1') - 'rejections' - 'jobs_enqueued',
          '{"metrics": {"inserted": 1, "updated": 0, "revived": 0, "unchanged": 0, "retired": 0, "rejected": 0},
            "device_uns_path": "G/E/T", "properties_written": 79, "versions_written": 1, "lineage_written": 0}'::jsonb,
          'the birth applies: 67 top-level properties + 12 nested rows = 79 properties written');

-- Integers in int_value: truncated to their width, then sign-extended.
select results_eq($$select key, type, spb_type, value_int from p where spb_type = 1 and key_path is null order by key$$,
                  $$values ('i8_0', 'int', 1::bigint, 0), ('i8_127', 'int', 1, 127), ('i8_128', 'int', 1, -128),
                           ('i8_255', 'int', 1, -1), ('i8_neg', 'int', 1, -1), ('i8_sx64', 'int', 1, -1)$$,
                  'Int8: 255 -> -1, 128 -> -128, 127 stays; 64-bit sign-extended (2^64-1) and negative (-1) encodings give -1');
select results_eq($$select key, value_int from p where spb_type = 2 and key_path is null order by key$$,
                  $$values ('i16_32767', 32767), ('i16_32768', -32768), ('i16_65535', -1), ('i16_sx64', -32768)$$,
                  'Int16: 65535 -> -1, 32768 -> -32768, 32767 stays; 2^64-32768 (64-bit sign-extended) -> -32768');
select results_eq($$select key, value_int from p where spb_type = 3 order by key$$,
                  $$values ('i32_2p31', -2147483648), ('i32_max', 2147483647), ('i32_neg', -2147483648), ('i32_quality', -2147483132),
                           ('i32_sx64', -2147483648), ('i32_u32max', -1), ('null_i32', null)$$,
                  'Int32: 4294967295 -> -1, 2^31 -> -2^31, max stays, the plant''s Quality 2147484164 -> -2147483132, 64-bit sign-extended and negative encodings');
select results_eq($$select key, type, value_int, value_long from p where spb_type in (5, 6, 7) order by key$$,
                  $$values ('u16_65535', 'int', 65535, null::bigint), ('u32_int', 'long', null, 4294967295),
                           ('u32_long', 'long', null, 4294967295), ('u32_long_num', 'long', null, 4294967294),
                           ('u8_255', 'int', 255, null)$$,
                  'UInt8/UInt16 in value_int unsigned; UInt32 in value_long, from intValue and from longValue (string or number)');
select results_eq($$select key, type, value_long from p where spb_type = 4 order by key$$,
                  $$values ('i64_m1_s', 'long', -1::bigint), ('i64_m1_u', 'long', -1), ('i64_max_n', 'long', 9223372036854775807),
                           ('i64_max_s', 'long', 9223372036854775807), ('i64_min_n', 'long', -9223372036854775808),
                           ('i64_min_u', 'long', -9223372036854775808)$$,
                  'Int64: the uint64 two''s complement strings 2^63 and 2^64-1 give min and -1; max and min as JSON numbers; "-1" as a signed string');
select results_eq($$select key, type, value_uint64::text from p where spb_type = 8 order by key$$,
                  $$values ('null_u64', 'uint64', null::text), ('u64_2p53p1', 'uint64', '9007199254740993'),
                           ('u64_max', 'uint64', '18446744073709551615'), ('u64_zero', 'uint64', '0')$$,
                  'UInt64: 2^64-1 exactly, 2^53+1 as a JSON number without rounding, 0');

-- Floating point.
select results_eq($$select key, value_float from p where spb_type = 9 and key_path is null order by key$$,
                  $$values ('f_frac', 0.1::real), ('f_inf', 'Infinity'::real), ('f_max', 3.4028235e38::real), ('f_min', -3.4028235e38::real),
                           ('f_nan', 'NaN'::real), ('f_ninf', '-Infinity'::real), ('f_tiny', 1.4e-45::real)$$,
                  'Float: max and min, the smallest subnormal, NaN, +/-Infinity, 0.1 as the nearest single');
select results_eq($$select key, value_double from p where spb_type = 10 and key_path is null order by key$$,
                  $$values ('d_inf', 'Infinity'::float8), ('d_max', 1.7976931348623157e308::float8), ('d_nan', 'NaN'::float8),
                           ('d_ninf', '-Infinity'::float8), ('d_pi', 3.141592653589793::float8), ('d_tiny', 5e-324::float8)$$,
                  'Double: max, the smallest subnormal, NaN, +/-Infinity, pi to the last bit');

-- Boolean, strings, DateTime.
select results_eq($$select key, type, spb_type, value_bool, value_string from p where spb_type in (11, 12, 14, 15) and key_path is null order by key$$,
                  $$values ('b_f', 'boolean', 11::bigint, false, null::text), ('b_t', 'boolean', 11, true, null),
                           ('null_false', 'boolean', 11, false, null), ('null_str_with_value', 'string', 12, null, null),
                           ('s_accents', 'string', 12, null, 'EXT SILO 23 - FORA SERVIÇO'), ('s_empty', 'string', 12, null, ''),
                           ('s_json', 'string', 12, null, '{"a": [1, "b"]}'), ('text', 'string', 14, null, E'line 1\nline 2\ttab'),
                           ('uuid', 'string', 15, null, '123e4567-e89b-12d3-a456-426614174000')$$,
                  'Boolean true/false; String (empty, accents, JSON text), Text and UUID in value_string with their own spb_type');
select results_eq($$select key, value_datetime from p where spb_type = 13 order by key$$,
                  $$values ('dt_0', '1970-01-01 00:00:00+00'::timestamptz), ('dt_int', '1970-01-01 00:00:01+00'),
                           ('dt_max', '9999-12-31 23:59:59.999+00'), ('dt_plant', '2025-08-28 14:49:14.609+00')$$,
                  'DateTime: milliseconds since the epoch, 0 to 253402300799999 (9999-12-31T23:59:59.999Z), from longValue or intValue');

-- Explicit nulls.
select results_eq($$select key, type, spb_type, is_null from p where is_null order by key$$,
                  $$values ('null_i32', 'int', 3::bigint, true), ('null_set', 'propertyset', 20, true),
                           ('null_str_with_value', 'string', 12, true), ('null_u64', 'uint64', 8, true)$$,
                  'isNull: an explicit null keeps its type and spb_type, is_null = true');
select is((select count(*)::int from p where is_null and num_nonnulls(value_int, value_long, value_uint64, value_float, value_double,
                                                                      value_string, value_bool, value_datetime) > 0), 0,
          'an explicit null holds no value, even when the birth also sent one ("ignored")');
select is((select is_null from p where key = 'null_false'), false, 'isNull: false with a value is a plain value');

-- Unknown and non-property type codes: code kept, stored by the value field present.
select results_eq($$select key, spb_type, type, value_long, value_uint64::text, value_string, value_bool, value_double
                      from p where spb_type in (0, 16, 17, 99, 4294967295) order by key$$,
                  $$values ('bytes_double', 17::bigint, 'double', null::bigint, null::text, null::text, null::boolean, 2.5::float8),
                           ('dataset_bool', 16, 'boolean', null, null, null, true, null),
                           ('unk_0_long', 0, 'uint64', null, '18446744073709551615', null, null, null),
                           ('unk_99_int', 99, 'long', 5, null, null, null, null),
                           ('unk_max_str', 4294967295, 'string', null, null, 'future', null, null)$$,
                  'unknown codes (0, 99, 2^32-1) and DataSet/Bytes codes keep their code: intValue -> long, longValue -> uint64, else by field');

-- Nested sets: markers and members, key paths, JSON Pointer escaping.
select results_eq($$select key, key_path, type, spb_type from p where key ~ '^(limits|alarms|null_set|empty_list)' order by key collate "C"$$,
                  $$values ('alarms', null::text[], 'propertysetlist', 21::bigint),
                           ('alarms/0', '{alarms,0}', 'propertyset', 20),
                           ('alarms/0/cfg', '{alarms,0,cfg}', 'propertyset', 20),
                           ('alarms/0/cfg/deep', '{alarms,0,cfg,deep}', 'propertysetlist', 21),
                           ('alarms/0/cfg/deep/0', '{alarms,0,cfg,deep,0}', 'propertyset', 20),
                           ('alarms/0/cfg/deep/0/y', '{alarms,0,cfg,deep,0,y}', 'boolean', 11),
                           ('alarms/0/cfg/x', '{alarms,0,cfg,x}', 'int', 2),
                           ('alarms/0/setpoint', '{alarms,0,setpoint}', 'float', 9),
                           ('alarms/1', '{alarms,1}', 'propertyset', 20),
                           ('empty_list', null, 'propertysetlist', 21),
                           ('limits', null, 'propertyset', 20),
                           ('limits/a~1b', array['limits', 'a/b'], 'string', 12),
                           ('limits/high', '{limits,high}', 'double', 10),
                           ('limits/low', '{limits,low}', 'double', 10),
                           ('limits/t~0', array['limits', 't~'], 'int', 1),
                           ('null_set', null, 'propertyset', 20)$$,
                  'PropertySet / PropertySetList: a marker row per set and list, members under <key>/<member>, items under <key>/<index>, two levels deep, "/" and "~" escaped');
select is((select count(*)::int from p where key_path is not null and key is distinct from uns_meta.property_key(key_path)), 0,
          'every nested row''s key is uns_meta.property_key(key_path)');
select results_eq($$select key, value_int, value_float, value_double, value_string, value_bool from p where key_path is not null
                      and type not in ('propertyset', 'propertysetlist') order by key collate "C"$$,
                  $$values ('alarms/0/cfg/deep/0/y', null::int, null::real, null::float8, null::text, true),
                           ('alarms/0/cfg/x', -2, null, null, null, null), ('alarms/0/setpoint', null, 1.5, null, null, null),
                           ('limits/a~1b', null, null, null, 'slash', null), ('limits/high', null, null, 100.5, null, null),
                           ('limits/low', null, null, -1, null, null), ('limits/t~0', -1, null, null, null, null)$$,
                  'nested members are decoded like top-level values (sign extension included: Int16 65534 -> -2, Int8 255 -> -1)');
select is((select count(*)::int from p where type in ('propertyset', 'propertysetlist')
             and num_nonnulls(value_int, value_long, value_uint64, value_float, value_double, value_string, value_bool, value_datetime) > 0), 0,
          'marker rows hold no value');

-- The first version names the creation only; its properties, reconstructed at version 1, are the typed JSON of
-- metric_versions diffs (key_path for nested members, class where the type does not imply it) and read back exactly.
select results_eq(
  $$select u.k, uns_meta.property_version_json(p.key_path, p.spb_type, p.is_null, p.type, p.value_int, p.value_long, p.value_uint64,
                                              p.value_float, p.value_double, p.value_string, p.value_bool, p.value_datetime)
      from unnest(array['i32_quality', 'u32_long', 'i64_min_u', 'u64_max', 'f_nan', 'd_ninf', 'dt_max', 'null_u64', 'unk_max_str',
                        'limits', 'alarms/0/cfg/deep', 'limits/a~1b', 'uuid']) with ordinality as u(k, i)
      join uns_meta.metric_properties_at_version(pg_temp.metric_id('T', 'types'), 1) as p on p.key = u.k
     order by u.i$$,
  $$values ('i32_quality', '{"type": "Int32", "value": -2147483132}'::jsonb),
           ('u32_long', '{"type": "UInt32", "value": 4294967295}'),
           ('i64_min_u', '{"type": "Int64", "value": -9223372036854775808}'),
           ('u64_max', '{"type": "UInt64", "value": 18446744073709551615}'),
           ('f_nan', '{"type": "Float", "value": "NaN"}'),
           ('d_ninf', '{"type": "Double", "value": "-Infinity"}'),
           ('dt_max', '{"type": "DateTime", "value": "9999-12-31T23:59:59.999+00:00"}'),
           ('null_u64', '{"type": "UInt64", "is_null": true}'),
           ('unk_max_str', '{"type": "Unknown(4294967295)", "value": "future", "class": "string"}'),
           ('limits', '{"type": "PropertySet"}'),
           ('alarms/0/cfg/deep', '{"type": "PropertySetList", "key_path": ["alarms", "0", "cfg", "deep"]}'),
           ('limits/a~1b', '{"type": "String", "value": "slash", "key_path": ["limits", "a/b"]}'),
           ('uuid', '{"type": "UUID", "value": "123e4567-e89b-12d3-a456-426614174000"}')$$,
  'version 1''s properties as typed JSON: {"type": <Sparkplug name>, "value"} (exact 64-bit numbers, NaN/Infinity as strings, nulls as is_null), key_path and class where needed');
select is((select diff from uns_meta.metric_versions where metric_id = pg_temp.metric_id('T', 'types') and version_no = 1) ? 'properties',
          false, 'the created version does not repeat the properties');
select is((select count(*)::int from (
             (select key, key_path, type, spb_type, is_null, value_int, value_long, value_uint64, value_float::text, value_double::text,
                     value_string, value_bool, value_datetime
                from uns_meta.metric_properties_at_version(pg_temp.metric_id('T', 'types'), 1)
              except all
              select key, key_path, type, spb_type, is_null, value_int, value_long, value_uint64, value_float::text, value_double::text,
                     value_string, value_bool, value_datetime
                from uns_meta.metric_properties where metric_id = pg_temp.metric_id('T', 'types'))
             union all
             (select key, key_path, type, spb_type, is_null, value_int, value_long, value_uint64, value_float::text, value_double::text,
                     value_string, value_bool, value_datetime
                from uns_meta.metric_properties where metric_id = pg_temp.metric_id('T', 'types')
              except all
              select key, key_path, type, spb_type, is_null, value_int, value_long, value_uint64, value_float::text, value_double::text,
                     value_string, value_bool, value_datetime
                from uns_meta.metric_properties_at_version(pg_temp.metric_id('T', 'types'), 1))) as d), 0,
          'all 79 rows at version 1 equal the stored rows exactly (spb_type, storage class, key_path, every typed value)');
select is((select count(*)::int from uns_meta.metric_properties_at_version(pg_temp.metric_id('T', 'types'), 1)), 79,
          '... 79 of them');

-- The same properties in another order: the typed comparison finds no change (NaN = NaN, 2^64-1 exact, ...).
create temp table tuples_before as select * from pg_temp.tuples();
select jsonb_build_array(jsonb_set(jsonb_set(m, '{properties,keys}',
                           (select jsonb_agg(k order by i desc) from jsonb_array_elements(m -> 'properties' -> 'keys') with ordinality as a(k, i))),
                         '{properties,values}',
                           (select jsonb_agg(v order by i desc) from jsonb_array_elements(m -> 'properties' -> 'values') with ordinality as a(v, i))))
         as reordered
  from (select (:'types'::jsonb) -> 0 as m) as s \gset
set local role uns_meta_app;
select pg_temp.birth('T', :'reordered', '2026-11-21T10:01:00Z') as r2 \gset
reset role;
select is(pg_temp.summary(:'r2') - 'rejections' - 'device_uns_path',
          '{"metrics": {"inserted": 0, "updated": 0, "revived": 0, "unchanged": 1, "retired": 0, "rejected": 0},
            "properties_written": 0, "versions_written": 0, "lineage_written": 0, "jobs_enqueued": 0}'::jsonb,
          'the same 79 values in reverse order: unchanged, nothing written, no version, no job');
select set_eq($$select * from pg_temp.tuples() where tbl = 'metric_properties'$$,
              $$select * from tuples_before where tbl = 'metric_properties'$$, '... and no property row was rewritten');

-- One unit of change at the extremes is seen.
select jsonb_set(jsonb_set(jsonb_set(:'types', '{0,properties,values,27}', '{"type": 8, "longValue": "18446744073709551614"}'),
                           '{0,properties,values,22}', '{"type": 4, "longValue": "9223372036854775809"}'),
                 '{0,properties,values,32}', '{"type": 9, "floatValue": "Infinity"}') as changed \gset
set local role uns_meta_app;
select pg_temp.birth('T', :'changed', '2026-11-21T10:02:00Z') as r3 \gset
reset role;
select is((:'r3'::jsonb) -> 'properties_written', '3', 'UInt64 max - 1, Int64 min + 1, Float NaN -> Infinity: 3 properties written');
select is((select diff from uns_meta.metric_versions where metric_id = pg_temp.metric_id('T', 'types') and version_no = 2),
          '{"properties": {"changed": {
              "u64_max": {"old": {"type": "UInt64", "value": 18446744073709551615}, "new": {"type": "UInt64", "value": 18446744073709551614}},
              "i64_min_u": {"old": {"type": "Int64", "value": -9223372036854775808}, "new": {"type": "Int64", "value": -9223372036854775807}},
              "f_nan": {"old": {"type": "Float", "value": "NaN"}, "new": {"type": "Float", "value": "Infinity"}}}}}'::jsonb,
          'the diff holds exactly those three changes with old and new typed values');

select * from finish();
rollback;
