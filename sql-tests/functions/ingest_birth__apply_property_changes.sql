-- pgTAP: uns_meta.ingest_birth__apply_property_changes(), step 9 of ingest_birth: for the existing staged metrics
-- whose property JSON changed, exactly the added, changed and removed properties are written (and listed in
-- uns_meta_stage_prop_changes with their old and new typed JSON); metrics with a changed property or field are marked.
begin;
set local timezone = 'UTC';
set local extra_float_digits = 1;
select plan(6);
\ir ingest_birth/_helpers.psql

select volatility_is('uns_meta', 'ingest_birth__apply_property_changes', array[]::name[], 'volatile', 'apply_property_changes is volatile');
select pg_temp.birth('P', '[{"name": "m", "datatype": 9, "properties": {"keys": ["engUnit", "Quality", "lo"],
                              "values": [{"type": 12, "stringValue": "C"}, {"type": 3, "intValue": 192}, {"type": 10, "doubleValue": 1}]}},
                            {"name": "m2", "datatype": 9}]', '2026-11-21T10:00:00Z') is not null as born \gset
select pg_temp.device_id('P') as dev, pg_temp.metric_id('P', 'm') as m, pg_temp.metric_id('P', 'm2') as m2 \gset
select uns_meta.ingest_birth__reset_staging(:dev, 'T', null);
select set_config('uns_meta.ingest_birth_active', 'on', true);
-- m: its property JSON changed (engUnit changed, Quality the same, desc added, lo removed); m2: only its datatype.
insert into uns_meta_stage_metrics (ord, name, metric_id, datatype, old_datatype, uns_path, old_uns_path, is_historical, old_is_historical,
                                    is_transient, old_is_transient, props_hash, old_props_hash)
select case when name = 'm' then 0 else 1 end, name, metric_id, case when name = 'm' then 9 else 10 end, datatype, uns_path, uns_path,
       false, false, false, false, case when name = 'm' then '\x02'::bytea else properties_hash end, properties_hash
  from uns_meta.metrics where device_id = :dev;
insert into uns_meta_stage_props (ord, key, type, spb_type, is_null, value_int, value_string) values
  (0, 'engUnit', 'string', 12, false, null, 'F'), (0, 'Quality', 'int', 3, false, 192, null), (0, 'desc', 'string', 12, false, null, 'x');

select is(uns_meta.ingest_birth__apply_property_changes(), 3, 'three property rows written: one deleted, one updated, one inserted');
select results_eq($$select metric_id, key, change, old_json is not null, new_json is not null from uns_meta_stage_prop_changes order by key$$,
                  format($$values (%1$s::bigint, 'desc'::text, 'added'::text, false, true), (%1$s, 'engUnit', 'changed', true, true), (%1$s, 'lo', 'removed', true, false)$$, :m),
                  'the changes: desc added, engUnit changed, lo removed; Quality (the same value) is no change');
select is((select array[old_json, new_json] from uns_meta_stage_prop_changes where key = 'engUnit'),
          array[uns_meta.property_version_json(null, 12, false, 'string', null, null, null, null, null, 'C', null, null),
                uns_meta.property_version_json(null, 12, false, 'string', null, null, null, null, null, 'F', null, null)],
          'a change carries the old and the new typed JSON');
select results_eq(format($$select key, coalesce(value_string, value_int::text) from uns_meta.metric_properties where metric_id = %s order by key$$, :m),
                  $$values ('Quality'::text, '192'::text), ('desc', 'x'), ('engUnit', 'F')$$,
                  'metric_properties now holds exactly the staged properties');
select results_eq($$select name, props_changed, changed from uns_meta_stage_metrics order by ord$$,
                  $$values ('m'::text, true, true), ('m2', false, true)$$,
                  'm is marked for its properties, m2 for its datatype');

select * from finish();
rollback;
