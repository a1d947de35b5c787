-- pgTAP: triggers/catalog_changes, the database's guarantee that every write to the catalog is versioned and
-- reaches Canary, whoever makes it: a DBA's UPDATE / INSERT / DELETE of metric_properties or UPDATE of metrics gets
-- one version per changed metric (changed_by = current_user, source naming the statement) and one debounced job per
-- device; a changed, added or deleted key mapping (canary_property_names) a version per metric with the key and a job
-- per device (an UPDATE that changes no mapping, neither);
-- ingest_birth's and reapply_path_rules' own writes are versioned once. Set-based: 10,000 rows changed in one
-- statement give one version per metric and one job per device, enqueued once (the job's revision stays 0: a
-- second add_jobs for the same key would have replaced it and counted 1).
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local extra_float_digits = 1;
set local statement_timeout = '60s';
set local lock_timeout = '10s';
select plan(40);
\ir ../functions/ingest_birth/_helpers.psql

create function pg_temp.props(unit text, n int default 0) returns jsonb language sql as $$
  select jsonb_build_object(
           'keys', jsonb_build_array('engUnit', 'Quality') || coalesce((select jsonb_agg('p' || i) from generate_series(1, n) as i), '[]'),
           'values', jsonb_build_array(jsonb_build_object('type', 12, 'stringValue', unit), '{"type": 3, "intValue": 192}'::jsonb)
                     || coalesce((select jsonb_agg(jsonb_build_object('type', 3, 'intValue', i)) from generate_series(1, n) as i), '[]'))
$$;
create function pg_temp.metrics(prefix text, count int, unit text, n int default 0) returns jsonb language sql as $$
  select jsonb_agg(jsonb_build_object('name', prefix || i, 'datatype', 9, 'properties', pg_temp.props(unit, n)) order by i)
    from generate_series(1, count) as i
$$;
create temp view versions_since as
  select v.*, m.name from uns_meta.metric_versions as v join uns_meta.metrics as m using (metric_id) where v.version_no > 1;

set local role uns_meta_app;
select pg_temp.birth('A', pg_temp.metrics('a', 2, 'degC'), '2026-11-21T10:00:00Z') is not null as a \gset
select pg_temp.birth('B', pg_temp.metrics('b', 1, 'bar'), '2026-11-21T10:00:00Z') is not null as b \gset
select pg_temp.birth('C', '[{"name": "c1", "datatype": 9, "properties": {"keys": ["other"], "values": [{"type": 12, "stringValue": "x"}]}}]',
                     '2026-11-21T10:00:00Z') is not null as c \gset
reset role;
delete from graphile_worker._private_jobs;

-- 1. Structure ------------------------------------------------------------------------------------------------------
select has_trigger('uns_meta', 'metric_properties', '_300_record_change_insert', 'metric_properties: statement trigger on INSERT');
select has_trigger('uns_meta', 'metric_properties', '_300_record_change_update', 'metric_properties: statement trigger on UPDATE');
select has_trigger('uns_meta', 'metric_properties', '_300_record_change_delete', 'metric_properties: statement trigger on DELETE');
select has_trigger('uns_meta', 'metrics', '_300_record_change', 'metrics: statement trigger on UPDATE');
select has_trigger('uns_meta', 'canary_property_names', '_300_record_change_update', 'canary_property_names: statement trigger on UPDATE');
select is((select count(*)::int from pg_trigger as t
            where t.tgname like '\_300\_record\_change%' and not t.tgisinternal
              and (t.tgtype & 1) = 1),  -- TRIGGER_TYPE_ROW = 1
          0, 'every one of them fires once per statement, never per row');

-- 2. A DBA's UPDATE of one property: one version, one job with the debounce key ----------------------------------------
update uns_meta.metric_properties set value_string = 'K'
 where key = 'engUnit' and metric_id = pg_temp.metric_id('A', 'a1');
select results_eq($$select name, version_no, change_kind, changed_by, source, diff from versions_since order by version_id$$,
                  $$values ('a1', 2, 'updated', 'uns_meta_admin', 'UPDATE on uns_meta.metric_properties',
                            '{"properties": {"changed": {"engUnit": {"old": {"type": "String", "value": "degC"},
                                                                     "new": {"type": "String", "value": "K"}}}}}'::jsonb)$$,
                  'a manual property update: one version of that metric, changed_by = the DBA, source naming the statement, old and new typed values');
select is((select version from uns_meta.metrics where metric_id = pg_temp.metric_id('A', 'a1')), 2, 'the metric''s version moves to 2');
select results_eq($$select key, run_at, revision, payload from pg_temp.jobs_of(pg_temp.device_id('A'))$$,
                  format($$values ('canary_sync_device:%s', now() + interval '3 minutes', 0, '{"device_id": %s}'::jsonb)$$,
                         pg_temp.device_id('A'), pg_temp.device_id('A')),
                  'one debounced job for the device: key canary_sync_device:<id>, run_at = now() + debounce_interval');
select is((select count(*)::int from graphile_worker.jobs), 1, 'and no job for the other devices');
select is((select uns_meta.metric_properties_as_of(pg_temp.metric_id('A', 'a1'), now() - interval '1 microsecond')), null,
          '(the metric did not exist before this transaction)');
select is((select value_string from uns_meta.metric_properties_at_version(pg_temp.metric_id('A', 'a1'), 1) where key = 'engUnit'),
          'degC', 'version 1 is reconstructed through the DBA''s version: engUnit was degC');

-- 3. A statement that rewrites rows unchanged: nothing --------------------------------------------------------------
delete from graphile_worker._private_jobs;
update uns_meta.metric_properties set value_string = value_string where metric_id = pg_temp.metric_id('A', 'a2');
select is((select count(*)::int from versions_since), 1, 'an UPDATE that changes no value writes no version');
select is((select count(*)::int from graphile_worker.jobs), 0, '... and enqueues nothing');

-- 4. INSERT and DELETE by hand -------------------------------------------------------------------------------------------
set local extra_float_digits = 0;  -- a session printing floats short must not shorten the diff
insert into uns_meta.metric_properties (metric_id, key, type, spb_type, value_double, value_float)
values (pg_temp.metric_id('A', 'a2'), 'engHigh', 'double', 10, 'NaN', null), (pg_temp.metric_id('A', 'a2'), 'engLow', 'float', 9, null, 3.4028235e38);
set local extra_float_digits = 1;
delete from uns_meta.metric_properties where metric_id = pg_temp.metric_id('A', 'a2') and key = 'Quality';
select results_eq($$select name, version_no, source, diff from versions_since where name = 'a2' order by version_no$$,
                  $$values ('a2', 2, 'INSERT on uns_meta.metric_properties', '{"properties": {"added": {"engHigh": {"type": "Double", "value": "NaN"}, "engLow": {"type": "Float", "value": 3.4028235e38}}}}'::jsonb),
                           ('a2', 3, 'DELETE on uns_meta.metric_properties', '{"properties": {"removed": {"Quality": {"type": "Int32", "value": 192}}}}')$$,
                  'a manual INSERT (two rows) and DELETE: one version each, "added" / "removed" with the exact typed values');
select is((select revision from pg_temp.jobs_of(pg_temp.device_id('A'))), 1,
          'two statements, two add_jobs: the device''s one job was pushed back once (revision 1)');

-- 5. A DBA's UPDATE of metrics -------------------------------------------------------------------------------------------
delete from graphile_worker._private_jobs;
update uns_meta.metrics set datatype = 10, is_historical = true where device_id = pg_temp.device_id('B');
update uns_meta.metrics set retired_at = '2026-11-22T00:00:00Z' where metric_id = pg_temp.metric_id('A', 'a2');
select results_eq($$select name, version_no, change_kind, changed_by, source, diff from versions_since
                     where source = 'UPDATE on uns_meta.metrics' order by version_id$$,
                  $$values ('b1', 2, 'updated', 'uns_meta_admin', 'UPDATE on uns_meta.metrics',
                            '{"datatype": {"old": 9, "new": 10}, "is_historical": {"old": false, "new": true}}'::jsonb),
                           ('a2', 4, 'retired', 'uns_meta_admin', 'UPDATE on uns_meta.metrics',
                            '{"retired_at": {"old": null, "new": "2026-11-22T00:00:00+00:00"}}')$$,
                  'a manual UPDATE of metrics: one version per metric with old and new; setting retired_at is a retirement');
select results_eq($$select version from uns_meta.metrics where metric_id in (pg_temp.metric_id('B', 'b1'), pg_temp.metric_id('A', 'a2')) order by name$$,
                  $$values (4), (2)$$, 'their versions moved (a2: 3 -> 4, b1: 1 -> 2)');
select is((select count(*)::int from graphile_worker.jobs where key in ('canary_sync_device:' || pg_temp.device_id('A'), 'canary_sync_device:' || pg_temp.device_id('B'))),
          2, 'one job for each device the statements touched');
select is((select (state).retired_at from (select uns_meta.metric_state_at_version(pg_temp.metric_id('A', 'a2'), 3) as state) as s), null,
          'metric_state_at_version undoes the retirement for version 3');

-- 6. ingest_birth versions its own writes once; the triggers leave them alone ----------------------------------------
delete from graphile_worker._private_jobs;
set local role uns_meta_app;
select pg_temp.birth('B', pg_temp.metrics('b', 1, 'psi'), '2026-11-21T11:00:00Z') as r \gset
reset role;
select is((pg_temp.summary(:'r') -> 'versions_written')::int, 1, 'a birth changing b1 (datatype back, flag back, engUnit): its own one version');
select results_eq($$select changed_by, source, diff -> 'properties' from versions_since where name = 'b1' and version_no = 3$$,
                  $$values ('system', 'spBv1.0/G/DBIRTH/E/B received 2026-11-21T11:00:00.000Z',
                            '{"changed": {"engUnit": {"old": {"type": "String", "value": "bar"}, "new": {"type": "String", "value": "psi"}}}}'::jsonb)$$,
                  '... written by ingest_birth (changed_by system, the birth as source)');
select is((select count(*)::int from versions_since where name = 'b1'), 2, '... and no second version from the triggers');
select is((select revision from pg_temp.jobs_of(pg_temp.device_id('B'))), 0, '... and its one job, enqueued once');

-- 7. A mapping change in canary_property_names: every metric with the key, one job per device ----------------------------
delete from graphile_worker._private_jobs;
update uns_meta.canary_property_names set canary_name = 'Units' where property_key = 'engUnit';
select results_eq($$select name, change_kind, source, diff from versions_since where source like '%canary_property_names' order by name$$,
                  $$values ('a1', 'updated', 'UPDATE on uns_meta.canary_property_names',
                            '{"canary_property_names": {"engUnit": {"old": {"canary_name": "Eng Units", "precedence": 100}, "new": {"canary_name": "Units", "precedence": 100}}}}'::jsonb),
                           ('a2', 'updated', 'UPDATE on uns_meta.canary_property_names',
                            '{"canary_property_names": {"engUnit": {"old": {"canary_name": "Eng Units", "precedence": 100}, "new": {"canary_name": "Units", "precedence": 100}}}}'::jsonb),
                           ('b1', 'updated', 'UPDATE on uns_meta.canary_property_names',
                            '{"canary_property_names": {"engUnit": {"old": {"canary_name": "Eng Units", "precedence": 100}, "new": {"canary_name": "Units", "precedence": 100}}}}'::jsonb)$$,
                  'a mapping change: a version for every metric with the key (so the worker sends it again under the new name)');
select results_eq($$select key from graphile_worker.jobs order by split_part(key, ':', 2)::bigint$$,  -- numeric: the ids may cross 99 -> 100
                  format($$values ('canary_sync_device:%s'), ('canary_sync_device:%s')$$, least(pg_temp.device_id('A'), pg_temp.device_id('B')),
                         greatest(pg_temp.device_id('A'), pg_temp.device_id('B'))),
                  '... and a job for each affected device (A and B), none for C (no engUnit)');
delete from graphile_worker._private_jobs;
insert into uns_meta.canary_property_names (property_key, canary_name) values ('other', 'Other');
select results_eq($$select name from versions_since where source = 'INSERT on uns_meta.canary_property_names'$$, $$values ('c1')$$,
                  'a new mapping: a version for the metrics with that key');
select is((select count(*)::int from pg_temp.jobs_of(pg_temp.device_id('C'))), 1, '... and their device''s job');
delete from graphile_worker._private_jobs;
update uns_meta.canary_property_names set canary_name = canary_name where property_key = 'other';
select is((select count(*)::int from versions_since where name = 'c1' and diff ? 'canary_property_names'), 1,
          'an UPDATE that changes no mapping: no version');
select is((select count(*)::int from pg_temp.jobs_of(pg_temp.device_id('C'))), 0, '... and no job');
delete from uns_meta.canary_property_names where property_key = 'other';
select results_eq($$select name, diff from versions_since where source = 'DELETE on uns_meta.canary_property_names'$$,
                  $$values ('c1', '{"canary_property_names": {"other": {"old": {"canary_name": "Other", "precedence": 100}, "new": null}}}'::jsonb)$$,
                  'a deleted mapping: a version for the metrics with that key, with the old mapping and no new one');
select is((select count(*)::int from pg_temp.jobs_of(pg_temp.device_id('C'))), 1, '... and their device''s job');

-- 8. 10,000 rows in one statement: one version per metric, one job per device, one add_jobs ----------------------------
set local role uns_meta_app;
select pg_temp.birth('X', pg_temp.metrics('x', 50, 'degC', 99), '2026-11-21T10:00:00Z') is not null as x \gset
select pg_temp.birth('Y', pg_temp.metrics('y', 50, 'degC', 99), '2026-11-21T10:00:00Z') is not null as y \gset
reset role;
delete from graphile_worker._private_jobs;
select is((select count(*)::int from uns_meta.metric_properties as p join uns_meta.metrics as m using (metric_id)
            where m.device_id in (pg_temp.device_id('X'), pg_temp.device_id('Y'))), 10100, 'devices X and Y hold 10,100 property rows, 10,000 of them Int32');
update uns_meta.metric_properties as p set value_int = p.value_int + 1000
  from uns_meta.metrics as m
 where m.metric_id = p.metric_id and m.device_id in (pg_temp.device_id('X'), pg_temp.device_id('Y')) and p.key <> 'engUnit';
select is((select count(*)::int from versions_since where name ~ '^[xy]'), 100, 'one UPDATE of 10,000 rows: 100 versions, one per metric');
select is((select count(*)::int from versions_since as v, jsonb_object_keys(v.diff -> 'properties' -> 'changed') where name ~ '^[xy]'),
          10000, '... whose diffs hold the 10,000 changed rows');
select results_eq($$select key, revision from graphile_worker.jobs order by split_part(key, ':', 2)::bigint$$,
                  format($$values ('canary_sync_device:%s', 0), ('canary_sync_device:%s', 0)$$, pg_temp.device_id('X'), pg_temp.device_id('Y')),
                  '... and one job per device, each enqueued once (revision 0: one add_jobs for the statement)');

-- 9. reapply_path_rules versions its own moves once; the trigger enqueues the devices ---------------------------------
delete from graphile_worker._private_jobs;
insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('^(G/E/C)/(.+)$', '\1/moved/\2', 'test: moved');
select is((uns_meta.reapply_path_rules() ->> 'metrics_moved')::int, 1, 'reapply_path_rules moves c1');
select results_eq($$select changed_by, diff from versions_since where name = 'c1' and diff ? 'uns_path'$$,
                  $$values ('uns_meta_admin', '{"uns_path": {"old": "G/E/C/c1", "new": "G/E/C/moved/c1"}}'::jsonb)$$,
                  '... with one version of its own (not a second from the trigger)');
select is((select count(*)::int from pg_temp.jobs_of(pg_temp.device_id('C'))), 1, '... and C''s job');
select is((select (uns_meta.metric_state_at_version(pg_temp.metric_id('C', 'c1'), 1)).uns_path), 'G/E/C/c1',
          'the path at version 1 is reconstructed from the diff');

select * from finish();
rollback;
