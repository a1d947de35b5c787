-- pgTAP: uns_meta.ingest_birth__decode_properties(jsonb), step 7 of ingest_birth: the properties of the staged metrics
-- that are new or whose property JSON changed are decoded into uns_meta_stage_props (nested members too); rejected
-- and unchanged metrics are skipped; a malformed property refuses the birth (U0001).
-- (Every type through ingest_birth: ingest_birth/property_types.sql, short_path.sql.)
begin;
set local timezone = 'UTC';
set local extra_float_digits = 1;
select plan(6);
\ir ingest_birth/_helpers.psql

select volatility_is('uns_meta', 'ingest_birth__decode_properties', array['jsonb'], 'volatile', 'decode_properties is volatile');
select uns_meta.ingest_birth_prepare_session();
delete from uns_meta_stage_metrics;
delete from uns_meta_stage_props;
insert into uns_meta_stage_metrics (ord, name, metric_id, props_hash, old_props_hash, reject_reason) values
  (0, 'new', null, '\x01', null, null),
  (1, 'rej', null, '\x01', null, 'no'),
  (2, 'same', 5, '\x01', '\x01', null),
  (3, 'changed', 6, '\x02', '\x01', null);
select is(uns_meta.ingest_birth__decode_properties(
  '[{"name": "new", "properties": {"keys": ["engUnit", "Quality"], "values": [{"type": 12, "stringValue": "°C"}, {"type": 3, "intValue": 192}]}},
    {"name": "rej", "properties": {"keys": ["x"], "values": [{"type": 3, "intValue": 1}]}},
    {"name": "same", "properties": {"keys": ["y"], "values": [{"type": 3, "intValue": 1}]}},
    {"name": "changed", "properties": {"keys": ["limits"], "values": [{"type": 20, "propertysetValue": {"keys": ["lo"], "values": [{"type": 10, "doubleValue": 1.5}]}}]}}]'),
  3, 'returns the number of top-level properties decoded (2 of the new metric, 1 of the changed one)');
select results_eq($$select ord, key, key_path, spb_type from uns_meta_stage_props order by ord, key$$,
                  $$values (0, 'Quality'::text, null::text[], 3::bigint), (0, 'engUnit', null, 12), (3, 'limits', null, 20), (3, 'limits/lo', array['limits', 'lo'], 10)$$,
                  'the new and the changed metric''s properties, the nested member with its key path; none of the rejected or unchanged metric');
select results_eq($$select type::text, value_int, value_string, value_double, is_null, problem from uns_meta_stage_props where key in ('Quality', 'engUnit', 'limits/lo') order by ord, key$$,
                  $$values ('int'::text, 192, null::text, null::double precision, false, null::text), ('string', null, '°C', null, false, null), ('double', null, null, 1.5, false, null)$$,
                  'each value decoded into its storage class');

delete from uns_meta_stage_props;
delete from uns_meta_stage_metrics;
insert into uns_meta_stage_metrics (ord, name, props_hash) values (0, 'bad', '\x01');
select is(pg_temp.error_of($$select uns_meta.ingest_birth__decode_properties('[{"name": "bad", "properties": {"keys": [""], "values": [{"type": 3, "intValue": 1}]}}]')$$),
          'U0001: ingest_birth: payload.metrics[0] (bad): property : the key is empty', 'an empty key: U0001 naming the metric');
select is(pg_temp.error_of($$select uns_meta.ingest_birth__decode_properties('[{"name": "bad", "properties": {"keys": ["k", "k2"], "values": [{"type": 3, "intValue": 1}, 7]}}]')$$),
          'U0001: ingest_birth: payload.metrics[0] (bad): property k2: ' || (select problem from uns_meta.decode_property_value('7')),
          'a value that is not an object: the general path names the property');

select * from finish();
rollback;
