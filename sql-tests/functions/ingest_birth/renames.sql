-- pgTAP: renames inside a birth. A metric the edge renamed (.../Active -> .../ActiveState) is a retirement plus a
-- creation; ingest_birth links them when the birth gives evidence -- the same alias (aliases are per edge node; both
-- are metrics of this device), or else the same datatype and property set -- and only one-to-one: a lineage row
-- for the new metric (old path -> new path, the evidence in the reason) and "renamed_to" in the retired metric's
-- version. Two retired and two new metrics that all look alike are no evidence. Chunked births too.
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(11);
\ir _helpers.psql

create function pg_temp.m(name text, datatype int, alias int, unit text) returns jsonb language sql as $$
  select jsonb_build_object('name', name, 'datatype', datatype, 'properties',
           jsonb_build_object('keys', '["engUnit", "Quality"]'::jsonb,
                              'values', jsonb_build_array(jsonb_build_object('type', 12, 'stringValue', unit), '{"type": 3, "intValue": 192}'::jsonb)))
         || case when alias is not null then jsonb_build_object('alias', alias) else '{}' end
$$;

set local role uns_meta_app;
select pg_temp.birth('R', jsonb_build_array(
         pg_temp.m('Pump/Active', 11, 5, 'on'),       -- renamed, same alias (its unit changes too)
         pg_temp.m('Pump/Temp', 10, null, 'degC'),    -- renamed, no alias: same datatype and properties
         pg_temp.m('Pump/Twin1', 9, null, 'bar'),     -- two alike, both renamed: ambiguous
         pg_temp.m('Pump/Twin2', 9, null, 'bar'),
         pg_temp.m('Pump/Gone', 3, 7, 'x'),           -- retired, nothing alike
         pg_temp.m('Pump/Kept', 3, 8, 'x')), '2026-11-21T10:00:00Z') is not null as b1 \gset
select pg_temp.birth('R', jsonb_build_array(
         pg_temp.m('Pump/ActiveState', 11, 5, 'true'),
         pg_temp.m('Pump/Temperature', 10, null, 'degC'),
         pg_temp.m('Pump/TwinA', 9, null, 'bar'),
         pg_temp.m('Pump/TwinB', 9, null, 'bar'),
         pg_temp.m('Pump/Kept', 3, 8, 'x'),
         pg_temp.m('Pump/New', 3, 9, 'x')), '2026-11-21T11:00:00Z') as b2 \gset
reset role;

select is(pg_temp.summary(:'b2') -> 'metrics', '{"inserted": 5, "updated": 0, "revived": 0, "unchanged": 1, "retired": 5, "rejected": 0}'::jsonb,
          'the second birth: five new names, five retired');
select is((:'b2'::jsonb ->> 'lineage_written')::int, 2, 'two renames with evidence: two lineage rows');
select results_eq($$select m.name, l.old_uns_path, l.new_uns_path, l.changed_by, l.reason
                      from uns_meta.metric_path_lineage as l join uns_meta.metrics as m using (metric_id) order by m.name$$,
                  format($$values ('Pump/ActiveState', 'G/E/R/Pump/Active', 'G/E/R/Pump/ActiveState', 'system',
                                   'renamed at birth spBv1.0/G/DBIRTH/E/R received 2026-11-21T11:00:00.000Z: metric %s (Pump/Active) retired and metric %s (Pump/ActiveState) created with alias 5 on edge node E'),
                                  ('Pump/Temperature', 'G/E/R/Pump/Temp', 'G/E/R/Pump/Temperature', 'system',
                                   'renamed at birth spBv1.0/G/DBIRTH/E/R received 2026-11-21T11:00:00.000Z: metric %s (Pump/Temp) retired and metric %s (Pump/Temperature) created with the same datatype (Double) and property set')$$,
                         pg_temp.metric_id('R', 'Pump/Active'), pg_temp.metric_id('R', 'Pump/ActiveState'),
                         pg_temp.metric_id('R', 'Pump/Temp'), pg_temp.metric_id('R', 'Pump/Temperature')),
                  'lineage of the new metric: the old path, the new path, and the evidence in the reason');
select is((select diff from uns_meta.metric_versions where metric_id = pg_temp.metric_id('R', 'Pump/Active') and version_no = 2),
          jsonb_build_object('retired_at', '{"old": null, "new": "2026-11-21T11:00:00+00:00"}'::jsonb,
                             'renamed_to', jsonb_build_object('metric_id', pg_temp.metric_id('R', 'Pump/ActiveState'), 'name', 'Pump/ActiveState',
                                                              'uns_path', 'G/E/R/Pump/ActiveState', 'evidence', 'alias 5 on edge node E')),
          'the retired metric''s version names the metric it became');
select is((select count(*)::int from uns_meta.metric_versions
            where metric_id in (pg_temp.metric_id('R', 'Pump/Twin1'), pg_temp.metric_id('R', 'Pump/Twin2'), pg_temp.metric_id('R', 'Pump/Gone'))
              and diff ? 'renamed_to'), 0,
          'two retired and two new metrics alike: no lineage (not one-to-one); a metric with nothing alike: none');
select is((select count(*)::int from uns_meta.metric_path_lineage
            where metric_id in (pg_temp.metric_id('R', 'Pump/TwinA'), pg_temp.metric_id('R', 'Pump/TwinB'), pg_temp.metric_id('R', 'Pump/New'))), 0,
          '... and none for their new counterparts');

-- A re-birth that changes nothing finds no rename (nothing is retired).
set local role uns_meta_app;
select pg_temp.birth('R', jsonb_build_array(
         pg_temp.m('Pump/ActiveState', 11, 5, 'true'), pg_temp.m('Pump/Temperature', 10, null, 'degC'),
         pg_temp.m('Pump/TwinA', 9, null, 'bar'), pg_temp.m('Pump/TwinB', 9, null, 'bar'),
         pg_temp.m('Pump/Kept', 3, 8, 'x'), pg_temp.m('Pump/New', 3, 9, 'x')), '2026-11-21T12:00:00Z') as b3 \gset
reset role;
select is((:'b3'::jsonb ->> 'lineage_written')::int, 0, 'an identical re-birth: no lineage');

-- Chunked: the new name arrives in chunk 0, the old one is retired after the last chunk.
set local role uns_meta_app;
select pg_temp.birth('R', jsonb_build_array(pg_temp.m('Pump/Speed', 10, 12, 'rpm'), pg_temp.m('Pump/Kept', 3, 8, 'x')),
                     '2026-11-21T13:00:00Z') is not null as b4 \gset
select pg_temp.birth('R', jsonb_build_array(pg_temp.m('Pump/SpeedRpm', 10, 12, 'rpm')), '2026-11-21T14:00:00Z', '{"index": 0, "last": false}') as c0 \gset
select pg_temp.birth('R', jsonb_build_array(pg_temp.m('Pump/Kept', 3, 8, 'x')), '2026-11-21T14:00:00Z', '{"index": 1, "last": true}') as c1 \gset
reset role;
select is((:'c1'::jsonb -> 'metrics' ->> 'retired')::int, 1, 'chunked: the last chunk retires Pump/Speed');
select is((:'c1'::jsonb ->> 'lineage_written')::int, 1, '... and links it to Pump/SpeedRpm, created in chunk 0');
select results_eq($$select old_uns_path, new_uns_path from uns_meta.metric_path_lineage where metric_id = pg_temp.metric_id('R', 'Pump/SpeedRpm')$$,
                  $$values ('G/E/R/Pump/Speed', 'G/E/R/Pump/SpeedRpm')$$, '... old path -> new path');
select is((select (uns_meta.metric_state_at_version(pg_temp.metric_id('R', 'Pump/Speed'), 1)).uns_path), 'G/E/R/Pump/Speed',
          'the old metric''s history stays its own (metric_state_at_version)');

select * from finish();
rollback;
