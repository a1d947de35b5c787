-- pgTAP: the lossless PropertyValue decoding (deploy/functions/decode_property_value.sql):
-- uns_meta.decode_property_value(jsonb) for every type and every `problem` it reports, and its helpers
-- uns_meta.jsonb_is_integer, uns_meta.jsonb_array_or_empty and uns_meta.property_json.
-- Each decoded row is compared as jsonb_strip_nulls(to_jsonb(row)): the non-NULL columns, by name.
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local extra_float_digits = 1;
set local statement_timeout = '30s';
select plan(176);

-- The decoded row as JSON (non-NULL columns), or {"error": "<SQLSTATE>: <message>"} if decoding raised: a decoder
-- that raises instead of reporting a problem fails the test at hand, not the whole file.
create function pg_temp.dec(pv jsonb) returns jsonb language plpgsql stable as $$
declare r jsonb; s text; m text;
begin
  select jsonb_strip_nulls(to_jsonb(d)) into r from uns_meta.decode_property_value(pv) as d;
  return r;
exception when others then
  get stacked diagnostics s = returned_sqlstate, m = message_text;
  return jsonb_build_object('error', s || ': ' || m);
end $$;
create function pg_temp.error_of(stmt text) returns text language plpgsql as $$
declare s text; m text;
begin
  execute stmt;
  return 'no error';
exception when others then
  get stacked diagnostics s = returned_sqlstate, m = message_text;
  return s || ': ' || m;
end $$;

-- 1. Structure and grants ---------------------------------------------------------------------------------------
select has_function('uns_meta', 'decode_property_value', array['jsonb'], 'function uns_meta.decode_property_value(jsonb) exists');
select is(pg_get_function_result('uns_meta.decode_property_value(jsonb)'::regprocedure),
          'TABLE(spb_type bigint, is_null boolean, type uns_meta.spb_property_type, value_int integer, value_long bigint, value_uint64 numeric, '
          'value_float real, value_double double precision, value_string text, value_bool boolean, value_datetime timestamp with time zone, problem text)',
          'decode_property_value returns the typed columns of metric_properties plus problem');
select function_lang_is('uns_meta', 'decode_property_value', array['jsonb'], 'sql', 'decode_property_value is SQL (inlinable into a set-based decode)');
select volatility_is('uns_meta', 'decode_property_value', array['jsonb'], 'stable', 'decode_property_value is stable');
select is((select proparallel from pg_proc where oid = 'uns_meta.decode_property_value(jsonb)'::regprocedure), 's', 'decode_property_value is parallel safe');
select isnt_definer('uns_meta', 'decode_property_value', array['jsonb'], 'decode_property_value is SECURITY INVOKER');
select function_owner_is('uns_meta', 'decode_property_value', array['jsonb'], 'uns_meta_admin', 'decode_property_value is owned by uns_meta_admin');
select isnt(obj_description('uns_meta.decode_property_value(jsonb)'::regprocedure, 'pg_proc'), null, 'decode_property_value has a comment');
select function_privs_are('uns_meta', 'decode_property_value', array['jsonb'], r, array['EXECUTE'], format('%s may execute decode_property_value', r))
  from unnest(array['uns_meta_app', 'uns_meta_ro']) as r;
select volatility_is('uns_meta', 'jsonb_is_integer', array['jsonb', 'numeric', 'numeric'], 'immutable', 'jsonb_is_integer is immutable');
select volatility_is('uns_meta', 'jsonb_array_or_empty', array['jsonb'], 'immutable', 'jsonb_array_or_empty is immutable');
select volatility_is('uns_meta', 'property_json',
                     array['bigint', 'boolean', 'uns_meta.spb_property_type', 'integer', 'bigint', 'numeric', 'real', 'double precision', 'text', 'boolean', 'timestamp with time zone'],
                     'stable', 'property_json is stable (timestamptz to JSON depends on TimeZone)');
select isnt(obj_description(p.oid, 'pg_proc'), null, format('%s has a comment', p.proname))
  from pg_proc as p where p.pronamespace = 'uns_meta'::regnamespace and p.proname in ('jsonb_is_integer', 'jsonb_array_or_empty', 'property_json') order by p.proname;

-- 2. Values, type by type ----------------------------------------------------------------------------------------
select is(pg_temp.dec(pv::jsonb), expected::jsonb, descr)
  from (values
    -- Int8 / Int16 / Int32: the uint32 is truncated to the width, then sign-extended.
    ('{"type": 1, "intValue": 127}', '{"spb_type": 1, "is_null": false, "type": "int", "value_int": 127}', 'Int8 127'),
    ('{"type": 1, "intValue": 128}', '{"spb_type": 1, "is_null": false, "type": "int", "value_int": -128}', 'Int8 128 (0x80) -> -128'),
    ('{"type": 1, "intValue": 255}', '{"spb_type": 1, "is_null": false, "type": "int", "value_int": -1}', 'Int8 255 (0xFF) -> -1'),
    ('{"type": 1, "intValue": 4294967295}', '{"spb_type": 1, "is_null": false, "type": "int", "value_int": -1}', 'Int8 sign-extended to 32 bits (0xFFFFFFFF) -> -1'),
    ('{"type": 1, "intValue": "18446744073709551488"}', '{"spb_type": 1, "is_null": false, "type": "int", "value_int": -128}', 'Int8 sign-extended to 64 bits -> -128'),
    ('{"type": 1, "intValue": -128}', '{"spb_type": 1, "is_null": false, "type": "int", "value_int": -128}', 'Int8 as a negative JSON number'),
    ('{"type": 1, "intValue": 256}', '{"spb_type": 1, "is_null": false, "type": "int", "value_int": 0}', 'Int8 256: truncated to 8 bits -> 0'),
    ('{"type": 2, "intValue": 32767}', '{"spb_type": 2, "is_null": false, "type": "int", "value_int": 32767}', 'Int16 max'),
    ('{"type": 2, "intValue": 32768}', '{"spb_type": 2, "is_null": false, "type": "int", "value_int": -32768}', 'Int16 32768 -> min'),
    ('{"type": 2, "intValue": 65535}', '{"spb_type": 2, "is_null": false, "type": "int", "value_int": -1}', 'Int16 65535 -> -1'),
    ('{"type": 3, "intValue": 2147484164}', '{"spb_type": 3, "is_null": false, "type": "int", "value_int": -2147483132}', 'Int32: the plant''s Quality 2147484164 -> -2147483132'),
    ('{"type": 3, "intValue": 2147483647}', '{"spb_type": 3, "is_null": false, "type": "int", "value_int": 2147483647}', 'Int32 max'),
    ('{"type": 3, "intValue": 2147483648}', '{"spb_type": 3, "is_null": false, "type": "int", "value_int": -2147483648}', 'Int32 2^31 -> min'),
    ('{"type": 3, "intValue": 4294967295}', '{"spb_type": 3, "is_null": false, "type": "int", "value_int": -1}', 'Int32 0xFFFFFFFF -> -1'),
    ('{"type": 3, "intValue": "18446744073709551615"}', '{"spb_type": 3, "is_null": false, "type": "int", "value_int": -1}', 'Int32 -1 sign-extended to 64 bits, as a string'),
    ('{"type": 3, "intValue": -2147483648}', '{"spb_type": 3, "is_null": false, "type": "int", "value_int": -2147483648}', 'Int32 min as a negative number'),
    ('{"type": 3, "intValue": "192"}', '{"spb_type": 3, "is_null": false, "type": "int", "value_int": 192}', 'Int32 as a JSON string'),
    ('{"type": 3, "longValue": 7}', '{"spb_type": 3, "is_null": false, "type": "int", "value_int": 7}', 'Int32 in longValue (no intValue) is accepted'),
    -- Unsigned.
    ('{"type": 5, "intValue": 255}', '{"spb_type": 5, "is_null": false, "type": "int", "value_int": 255}', 'UInt8 255 stays 255'),
    ('{"type": 6, "intValue": 65535}', '{"spb_type": 6, "is_null": false, "type": "int", "value_int": 65535}', 'UInt16 65535 stays 65535'),
    ('{"type": 7, "intValue": 4294967295}', '{"spb_type": 7, "is_null": false, "type": "long", "value_long": 4294967295}', 'UInt32 max in intValue -> value_long'),
    ('{"type": 7, "longValue": "4294967295"}', '{"spb_type": 7, "is_null": false, "type": "long", "value_long": 4294967295}', 'UInt32 max in longValue (Tahu) -> value_long'),
    ('{"type": 7, "intValue": 0}', '{"spb_type": 7, "is_null": false, "type": "long", "value_long": 0}', 'UInt32 0'),
    -- 64-bit.
    ('{"type": 4, "longValue": "9223372036854775807"}', '{"spb_type": 4, "is_null": false, "type": "long", "value_long": 9223372036854775807}', 'Int64 max'),
    ('{"type": 4, "longValue": "9223372036854775808"}', '{"spb_type": 4, "is_null": false, "type": "long", "value_long": -9223372036854775808}', 'Int64 min as uint64 two''s complement'),
    ('{"type": 4, "longValue": "18446744073709551615"}', '{"spb_type": 4, "is_null": false, "type": "long", "value_long": -1}', 'Int64 -1 as uint64 two''s complement'),
    ('{"type": 4, "longValue": -9223372036854775808}', '{"spb_type": 4, "is_null": false, "type": "long", "value_long": -9223372036854775808}', 'Int64 min as a signed JSON number'),
    ('{"type": 4, "longValue": "-42"}', '{"spb_type": 4, "is_null": false, "type": "long", "value_long": -42}', 'Int64 as a signed string'),
    ('{"type": 8, "longValue": "18446744073709551615"}', '{"spb_type": 8, "is_null": false, "type": "uint64", "value_uint64": 18446744073709551615}', 'UInt64 max, exact'),
    ('{"type": 8, "longValue": 9007199254740993}', '{"spb_type": 8, "is_null": false, "type": "uint64", "value_uint64": 9007199254740993}', 'UInt64 2^53+1 as a JSON number, exact'),
    ('{"type": 8, "intValue": 5}', '{"spb_type": 8, "is_null": false, "type": "uint64", "value_uint64": 5}', 'UInt64 in intValue (no longValue)'),
    -- Floating point.
    ('{"type": 9, "floatValue": 3.4028235e38}', '{"spb_type": 9, "is_null": false, "type": "float", "value_float": 340282350000000000000000000000000000000}', 'Float max'),
    ('{"type": 9, "floatValue": 1.5}', '{"spb_type": 9, "is_null": false, "type": "float", "value_float": 1.5}', 'Float 1.5'),
    ('{"type": 9, "floatValue": "NaN"}', '{"spb_type": 9, "is_null": false, "type": "float", "value_float": "NaN"}', 'Float NaN'),
    ('{"type": 9, "floatValue": "-Infinity"}', '{"spb_type": 9, "is_null": false, "type": "float", "value_float": "-Infinity"}', 'Float -Infinity'),
    ('{"type": 9, "floatValue": "2.5"}', '{"spb_type": 9, "is_null": false, "type": "float", "value_float": 2.5}', 'Float as a JSON string'),
    ('{"type": 10, "doubleValue": 1.7976931348623157e308}', '{"spb_type": 10, "is_null": false, "type": "double", "value_double": 179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000}', 'Double max'),
    ('{"type": 10, "doubleValue": "Infinity"}', '{"spb_type": 10, "is_null": false, "type": "double", "value_double": "Infinity"}', 'Double Infinity'),
    ('{"type": 10, "doubleValue": 0.1}', '{"spb_type": 10, "is_null": false, "type": "double", "value_double": 0.1}', 'Double 0.1'),
    -- Boolean, strings, DateTime.
    ('{"type": 11, "booleanValue": false}', '{"spb_type": 11, "is_null": false, "type": "boolean", "value_bool": false}', 'Boolean false'),
    ('{"type": 12, "stringValue": ""}', '{"spb_type": 12, "is_null": false, "type": "string", "value_string": ""}', 'String: empty'),
    ('{"type": 12, "stringValue": "FORA SERVIÇO"}', '{"spb_type": 12, "is_null": false, "type": "string", "value_string": "FORA SERVIÇO"}', 'String with accents'),
    ('{"type": 14, "stringValue": "a\nb"}', '{"spb_type": 14, "is_null": false, "type": "string", "value_string": "a\nb"}', 'Text'),
    ('{"type": 15, "stringValue": "123e4567-e89b-12d3-a456-426614174000"}', '{"spb_type": 15, "is_null": false, "type": "string", "value_string": "123e4567-e89b-12d3-a456-426614174000"}', 'UUID'),
    ('{"type": 13, "longValue": "1756392554609"}', '{"spb_type": 13, "is_null": false, "type": "datetime", "value_datetime": "2025-08-28T14:49:14.609+00:00"}', 'DateTime: ms since the epoch'),
    ('{"type": 13, "longValue": 0}', '{"spb_type": 13, "is_null": false, "type": "datetime", "value_datetime": "1970-01-01T00:00:00+00:00"}', 'DateTime 0'),
    ('{"type": 13, "longValue": "253402300799999"}', '{"spb_type": 13, "is_null": false, "type": "datetime", "value_datetime": "9999-12-31T23:59:59.999+00:00"}', 'DateTime max (year 9999)'),
    -- Explicit nulls and nested-set markers.
    ('{"type": 3, "isNull": true}', '{"spb_type": 3, "is_null": true, "type": "int"}', 'isNull: no value'),
    ('{"type": 12, "isNull": true, "stringValue": "x"}', '{"spb_type": 12, "is_null": true, "type": "string"}', 'isNull wins over a value sent with it'),
    ('{"type": 99, "isNull": true}', '{"spb_type": 99, "is_null": true}', 'isNull of an unknown type without value field: no storage class, no problem'),
    ('{"type": 11, "isNull": false, "booleanValue": true}', '{"spb_type": 11, "is_null": false, "type": "boolean", "value_bool": true}', 'isNull false: a value'),
    ('{"type": 20, "propertysetValue": {"keys": ["a"], "values": [{"type": 3, "intValue": 1}]}}', '{"spb_type": 20, "is_null": false, "type": "propertyset"}', 'PropertySet: a marker, no value'),
    ('{"type": 20, "propertysetValue": {}}', '{"spb_type": 20, "is_null": false, "type": "propertyset"}', 'an empty PropertySet'),
    ('{"type": 21, "propertysetsValue": {"propertyset": []}}', '{"spb_type": 21, "is_null": false, "type": "propertysetlist"}', 'PropertySetList: a marker'),
    ('{"type": 20, "isNull": true}', '{"spb_type": 20, "is_null": true, "type": "propertyset"}', 'a null PropertySet'),
    -- Unknown codes: kept, stored by the value field present.
    ('{"type": 0, "intValue": 5}', '{"spb_type": 0, "is_null": false, "type": "long", "value_long": 5}', 'Unknown (0) with intValue -> long'),
    ('{"type": 99, "longValue": "18446744073709551615"}', '{"spb_type": 99, "is_null": false, "type": "uint64", "value_uint64": 18446744073709551615}', 'code 99 with longValue -> uint64'),
    ('{"type": 4294967295, "floatValue": 1.5}', '{"spb_type": 4294967295, "is_null": false, "type": "float", "value_float": 1.5}', 'code 2^32-1 with floatValue -> float'),
    ('{"type": 16, "doubleValue": 2.5}', '{"spb_type": 16, "is_null": false, "type": "double", "value_double": 2.5}', 'DataSet (16) with doubleValue -> double'),
    ('{"type": 17, "booleanValue": true}', '{"spb_type": 17, "is_null": false, "type": "boolean", "value_bool": true}', 'Bytes (17) with booleanValue -> boolean'),
    ('{"type": 22, "stringValue": "[1,2]"}', '{"spb_type": 22, "is_null": false, "type": "string", "value_string": "[1,2]"}', 'Int8Array (22) with stringValue -> string')
  ) as t(pv, expected, descr);

-- 3. Problems: one row, the value columns NULL, `problem` says what is wrong ---------------------------------------
select is(pg_temp.dec(pv::jsonb) ->> 'problem', problem, descr)
  from (values
    ('{"intValue": 1}', '"type" is missing or not an integer 0..4294967295', 'no type'),
    ('{"type": "Int32", "intValue": 1}', '"type" is missing or not an integer 0..4294967295', 'a type name instead of a code'),
    ('{"type": -1, "intValue": 1}', '"type" is missing or not an integer 0..4294967295', 'a negative type'),
    ('{"type": 4294967296, "intValue": 1}', '"type" is missing or not an integer 0..4294967295', 'a type beyond uint32'),
    ('{"type": 3.5, "intValue": 1}', '"type" is missing or not an integer 0..4294967295', 'a fractional type'),
    ('"x"', '"type" is missing or not an integer 0..4294967295', 'not an object'),
    ('null', '"type" is missing or not an integer 0..4294967295', 'JSON null'),
    ('{"type": 3, "isNull": "yes", "intValue": 1}', '"isNull" must be a boolean', 'isNull not a boolean'),
    ('{"type": 12, "isNull": 0, "stringValue": "x"}', '"isNull" must be a boolean', 'isNull as a number'),
    ('{"type": 99}', 'no value field for type Unknown(99)', 'an unknown type without a value field'),
    ('{"type": 16}', 'no value field for type DataSet', 'DataSet without a value field'),
    ('{"type": 3}', '"intValue" is missing for type Int32', 'Int32 without a value'),
    ('{"type": 4}', '"longValue" is missing for type Int64', 'Int64 without a value'),
    ('{"type": 9, "doubleValue": 1.5}', '"floatValue" is missing for type Float', 'Float with the wrong field'),
    ('{"type": 11}', '"booleanValue" is missing for type Boolean', 'Boolean without a value'),
    ('{"type": 13}', '"longValue" is missing for type DateTime', 'DateTime without a value'),
    ('{"type": 20}', '"propertysetValue" is missing for type PropertySet', 'PropertySet without propertysetValue'),
    ('{"type": 21}', '"propertysetsValue" is missing for type PropertySetList', 'PropertySetList without propertysetsValue'),
    ('{"type": 3, "intValue": "x"}', '"intValue" must be an integer', 'Int32 not a number'),
    ('{"type": 3, "intValue": 1.5}', '"intValue" must be an integer', 'Int32 fractional'),
    ('{"type": 3, "intValue": true}', '"intValue" must be an integer', 'Int32 boolean'),
    ('{"type": 1, "intValue": "18446744073709551616"}', '"intValue" must be an integer', 'Int8 beyond 64 bits'),
    ('{"type": 7, "intValue": -1}', '"intValue" must be an integer 0..4294967295 for UInt32', 'UInt32 negative'),
    ('{"type": 7, "longValue": 4294967296}', '"longValue" must be an integer 0..4294967295 for UInt32', 'UInt32 beyond 32 bits'),
    ('{"type": 4, "longValue": "18446744073709551616"}', '"longValue" must be a 64-bit integer', 'Int64 beyond 64 bits'),
    ('{"type": 4, "longValue": "-9223372036854775809"}', '"longValue" must be a 64-bit integer', 'Int64 below min'),
    ('{"type": 4, "longValue": "1e3"}', '"longValue" must be a 64-bit integer', 'Int64 in exponent notation'),
    ('{"type": 8, "longValue": -1}', '"longValue" must be an integer 0..18446744073709551615 for UInt64', 'UInt64 negative'),
    ('{"type": 8, "longValue": "18446744073709551616"}', '"longValue" must be an integer 0..18446744073709551615 for UInt64', 'UInt64 2^64'),
    ('{"type": 13, "longValue": -1}', '"longValue" must be milliseconds since the epoch, 0..253402300799999 (year 9999)', 'DateTime before 1970'),
    ('{"type": 13, "longValue": "253402300800000"}', '"longValue" must be milliseconds since the epoch, 0..253402300799999 (year 9999)', 'DateTime after 9999'),
    ('{"type": 9, "floatValue": 3.5e38}', '"floatValue" must be a single-precision number', 'Float beyond max'),
    ('{"type": 9, "floatValue": "nan"}', '"floatValue" must be a single-precision number', 'Float "nan" (protobuf JSON spells NaN)'),
    ('{"type": 9, "floatValue": true}', '"floatValue" must be a single-precision number', 'Float boolean'),
    ('{"type": 10, "doubleValue": "1e309"}', '"doubleValue" must be a double-precision number', 'Double beyond max (string)'),
    ('{"type": 10, "doubleValue": 1e309}', '"doubleValue" must be a double-precision number', 'Double beyond max (number)'),
    ('{"type": 10, "doubleValue": "0x10"}', '"doubleValue" must be a double-precision number', 'Double in hex'),
    ('{"type": 11, "booleanValue": "true"}', '"booleanValue" must be a boolean', 'Boolean as a string'),
    ('{"type": 11, "booleanValue": 1}', '"booleanValue" must be a boolean', 'Boolean as a number'),
    ('{"type": 12, "stringValue": 5}', '"stringValue" must be a string', 'String as a number'),
    ('{"type": 15, "stringValue": null}', '"stringValue" must be a string', 'UUID as JSON null'),
    ('{"type": 20, "propertysetValue": []}', '"propertysetValue" must be {"keys": [...], "values": [...]} with as many keys as values', 'PropertySet as an array'),
    ('{"type": 20, "propertysetValue": {"keys": ["a"], "values": []}}', '"propertysetValue" must be {"keys": [...], "values": [...]} with as many keys as values', 'PropertySet with more keys than values'),
    ('{"type": 20, "propertysetValue": {"keys": "a", "values": "b"}}', '"propertysetValue" must be {"keys": [...], "values": [...]} with as many keys as values', 'PropertySet keys not an array'),
    ('{"type": 21, "propertysetsValue": []}', '"propertysetsValue" must be {"propertyset": [...]}', 'PropertySetList as an array'),
    ('{"type": 21, "propertysetsValue": {"propertyset": {}}}', '"propertysetsValue" must be {"propertyset": [...]}', 'PropertySetList items not an array')
  ) as t(pv, problem, descr);
select is(pg_temp.error_of($$select count(*) from (values ('{"type": 3, "intValue": "x"}'::jsonb), ('{"type": 12}'), ('"x"'), ('{"type": 21, "propertysetsValue": []}')) as t(pv),
                  uns_meta.decode_property_value(t.pv) as d
            where num_nonnulls(d.value_int, d.value_long, d.value_uint64, d.value_float, d.value_double, d.value_string, d.value_bool, d.value_datetime) > 0
            having count(*) > 0$$), 'no error',
          'a row with a problem holds no value, even when the query filters on the value columns');

-- 4. Exactly one row for anything, never an error ----------------------------------------------------------------
select is(pg_temp.error_of(format('select d::text from uns_meta.decode_property_value(%L) as d', pv)), 'no error', format('no error for %s (a constant)', pv))
  from unnest(array['{"type": 3, "intValue": 1.0}', '{"type": 3, "intValue": 1e2}', '{"type": 3, "intValue": "007"}', '{"type": 3, "intValue": "x"}',
                    '{"type": 9, "floatValue": "x"}', '{"type": 11, "booleanValue": "x"}', '[]', '5', '{}',
                    '{"type": 9, "floatValue": 1e-40}', '{"type": 10, "doubleValue": 4.9e-324}']) as pv;
select is(pg_temp.error_of(format('select d::text from jsonb_array_elements(%L) as e(pv) cross join lateral uns_meta.decode_property_value(e.pv) as d', pvs)),
          'no error', format('no error for %s (from a table)', pvs))
  from unnest(array['[{"type": 3, "intValue": 1.0}]', '[{"type": 3, "intValue": "x"}, {"type": 3, "intValue": 1}]']) as pvs;
select is((select count(*)::int from (values ('{"type": 3, "intValue": 1.0}'::jsonb), ('{"type": 3, "intValue": 1}'), ('[]'), ('{}'), ('{"type": 99}'),
                                             ('{"type": 20, "isNull": true}'), ('{"type": 3, "isNull": true}')) as t(pv)
             cross join lateral uns_meta.decode_property_value(t.pv)), 7, 'exactly one row per PropertyValue');
select is(pg_temp.dec('{"type": 3, "intValue": 1.0}') ->> 'problem', '"intValue" must be an integer', 'an integral JSON number written 1.0 is not an integer encoding');
select is(pg_temp.error_of($$select * from uns_meta.decode_property_value('{"type": 9, "floatValue": 1e-50}')$$), 'no error',
          'a Float too small for single precision (1e-50) yields a row, not an error');
select is(pg_temp.error_of($$select * from uns_meta.decode_property_value('{"type": 10, "doubleValue": "1e-400"}')$$), 'no error',
          'a Double too small for double precision (1e-400) yields a row, not an error');

-- 5. jsonb_is_integer and jsonb_array_or_empty --------------------------------------------------------------------
select is(uns_meta.jsonb_is_integer(j::jsonb, lo, hi), expected, descr)
  from (values ('5', 0, 10, true, 'a number in range'), ('"5"', 0, 10, true, 'a string in range'), ('11', 0, 10, false, 'above the range'),
               ('-1', 0, 10, false, 'below the range'), ('"-9223372036854775808"', -9223372036854775808, 0, true, 'a negative 64-bit string'),
               ('"18446744073709551615"', 0, 18446744073709551615, true, 'uint64 max'), ('1.5', 0, 10, false, 'fractional'),
               ('1.0', 0, 10, false, 'an integral value written with a fraction'), ('"1e3"', 0, 10000, false, 'exponent notation in a string'),
               ('"+5"', 0, 10, false, 'a leading +'), ('" 5"', 0, 10, false, 'a leading space'), ('true', 0, 10, false, 'a boolean'),
               ('null', 0, 10, false, 'JSON null'), ('"123456789012345678901"', 0, 1e30, false, 'more than 20 digits')) as t(j, lo, hi, expected, descr);
select is(uns_meta.jsonb_is_integer(null, 0, 10), false, 'jsonb_is_integer(NULL) is false, not NULL');
select is(uns_meta.jsonb_array_or_empty(j::jsonb), expected::jsonb, format('jsonb_array_or_empty(%s) = %s', coalesce(j, 'NULL'), expected))
  from (values ('[1, 2]', '[1, 2]'), ('{}', '[]'), ('"a"', '[]'), (null, '[]')) as t(j, expected);

-- 6. property_json: the typed JSON of a stored property (version diffs) ------------------------------------------------
select is(uns_meta.property_json(s, n, t::uns_meta.spb_property_type, vi, vl, vu, vf, vd, vs, vb, vt), expected::jsonb, descr)
  from (values
    (3::bigint, false, 'int', -2147483132, null::bigint, null::numeric, null::real, null::float8, null::text, null::boolean, null::timestamptz,
     '{"type": "Int32", "value": -2147483132}', 'Int32'),
    (7, false, 'long', null, 4294967295, null, null, null, null, null, null, '{"type": "UInt32", "value": 4294967295}', 'UInt32'),
    (4, false, 'long', null, -9223372036854775808, null, null, null, null, null, null, '{"type": "Int64", "value": -9223372036854775808}', 'Int64 min, exact'),
    (8, false, 'uint64', null, null, 18446744073709551615, null, null, null, null, null, '{"type": "UInt64", "value": 18446744073709551615}', 'UInt64 max, exact'),
    (9, false, 'float', null, null, null, 'NaN', null, null, null, null, '{"type": "Float", "value": "NaN"}', 'Float NaN as a string'),
    (10, false, 'double', null, null, null, null, '-Infinity', null, null, null, '{"type": "Double", "value": "-Infinity"}', 'Double -Infinity as a string'),
    (10, false, 'double', null, null, null, null, 0.1, null, null, null, '{"type": "Double", "value": 0.1}', 'Double 0.1'),
    (11, false, 'boolean', null, null, null, null, null, null, true, null, '{"type": "Boolean", "value": true}', 'Boolean'),
    (15, false, 'string', null, null, null, null, null, 'u-u-i-d', null, null, '{"type": "UUID", "value": "u-u-i-d"}', 'UUID'),
    (13, false, 'datetime', null, null, null, null, null, null, null, '2025-08-28 14:49:14.609+00', '{"type": "DateTime", "value": "2025-08-28T14:49:14.609+00:00"}', 'DateTime (ISO 8601, session TimeZone)'),
    (12, true, 'string', null, null, null, null, null, null, null, null, '{"type": "String", "is_null": true}', 'an explicit null'),
    (20, false, 'propertyset', null, null, null, null, null, null, null, null, '{"type": "PropertySet"}', 'a PropertySet marker'),
    (21, false, 'propertysetlist', null, null, null, null, null, null, null, null, '{"type": "PropertySetList"}', 'a PropertySetList marker'),
    (99, false, 'long', null, 5, null, null, null, null, null, null, '{"type": "Unknown(99)", "value": 5}', 'an unknown code')
  ) as v(s, n, t, vi, vl, vu, vf, vd, vs, vb, vt, expected, descr);

-- 7. Set-based use, and by the application role ----------------------------------------------------------------------
set local role uns_meta_app;
select results_eq($$select d.type::text, d.value_int from jsonb_array_elements('[{"type": 3, "intValue": 2147484164}, {"type": 3, "intValue": 192}]') as e(pv)
                     cross join lateral uns_meta.decode_property_value(e.pv) as d$$,
                  $$values ('int', -2147483132), ('int', 192)$$, 'uns_meta_app decodes a set of values in one query');
reset role;
set local role uns_meta_ro;
select is(pg_temp.dec('{"type": 2, "intValue": 65535}') ->> 'value_int', '-1', 'uns_meta_ro may decode too (analysts replaying values)');
reset role;

select * from finish();
rollback;
