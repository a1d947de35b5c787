-- pgTAP: uns_meta.ingest_birth retires the metrics a device's new DBIRTH no longer names (retired_at set, a
-- 'retired' version, the row and its properties kept), and revives them when a later birth names them again
-- (a 'revived' version).
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local extra_float_digits = 1;
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(27);
\ir _helpers.psql

select '[{"name": "m1", "datatype": 9, "properties": {"keys": ["engUnit"], "values": [{"type": 12, "stringValue": "bar"}]}},
         {"name": "m2", "datatype": 9},
         {"name": "m3", "datatype": 3, "properties": {"keys": ["Quality"], "values": [{"type": 3, "intValue": 192}]}}]' as all3 \gset
select jsonb_path_query_array(:'all3', '$[*] ? (@.name != "m3")') as without_m3 \gset
set local role uns_meta_app;
select pg_temp.birth('D', :'all3', '2026-11-21T10:00:00Z') as r1 \gset
select pg_temp.birth('Other', '[{"name": "m3", "datatype": 3}]', '2026-11-21T10:00:00Z') as r_other \gset
reset role;

-- 1. Retirement ------------------------------------------------------------------------------------------------
set local role uns_meta_app;
select pg_temp.birth('D', :'without_m3', '2026-11-21T11:00:00Z') as r2 \gset
reset role;
select is(pg_temp.summary(:'r2') - 'rejections' - 'device_uns_path',
          '{"metrics": {"inserted": 0, "updated": 0, "revived": 0, "unchanged": 2, "retired": 1, "rejected": 0},
            "properties_written": 0, "versions_written": 1, "lineage_written": 0, "jobs_enqueued": 1}'::jsonb,
          'a birth without m3: m3 retired, 1 version, and the retirement alone enqueues the sync');
select results_eq($$select name, retired_at, version from uns_meta.metrics where device_id = pg_temp.device_id('D') order by name$$,
                  $$values ('m1', null::timestamptz, 1), ('m2', null, 1), ('m3', '2026-11-21 11:00:00+00', 2)$$,
                  'm3 is kept with retired_at = the birth''s received_at and version 2; m1, m2 untouched');
select results_eq($$select version_no, change_kind, source, diff from uns_meta.metric_versions where metric_id = pg_temp.metric_id('D', 'm3') order by version_no$$,
                  $$values (1, 'created', 'spBv1.0/G/DBIRTH/E/D received 2026-11-21T10:00:00.000Z',
                            '{"datatype": {"new": 3}, "uns_path": {"new": "G/E/D/m3"}}'::jsonb),
                           (2, 'retired', 'spBv1.0/G/DBIRTH/E/D received 2026-11-21T11:00:00.000Z',
                            '{"retired_at": {"old": null, "new": "2026-11-21T11:00:00+00:00"}}')$$,
                  'a "retired" version with diff {"retired_at": {"old": null, "new": <received_at>}}');
select results_eq($$select key, value_int from uns_meta.metric_properties where metric_id = pg_temp.metric_id('D', 'm3')$$,
                  $$values ('Quality', 192)$$, 'a retired metric keeps its properties');
select is((select retired_at from uns_meta.metrics where metric_id = pg_temp.metric_id('Other', 'm3')), null,
          'retirement is per device: m3 of device Other stays live');
select is((select count(*)::int from pg_temp.jobs_of(pg_temp.device_id('D'))), 1, 'one sync job for the device');

-- The next birth without m3: nothing more.
create temp table m_before as select * from uns_meta.metrics;
set local role uns_meta_app;
select pg_temp.birth('D', :'without_m3', '2026-11-21T11:30:00Z') as r3 \gset
reset role;
select is(pg_temp.summary(:'r3') -> 'metrics', '{"inserted": 0, "updated": 0, "revived": 0, "unchanged": 2, "retired": 0, "rejected": 0}'::jsonb,
          'the next birth without m3: no second retirement');
select bag_eq($$select * from uns_meta.metrics$$, $$select * from m_before$$, '... retired_at and version unchanged');
select is((select count(*)::int from uns_meta.metric_versions where change_kind = 'retired'), 1, '... one "retired" version in all');
select is(((:'r3'::jsonb) ->> 'jobs_enqueued')::int, 0, '... and no job');

-- 2. Revival ---------------------------------------------------------------------------------------------------
set local role uns_meta_app;
select pg_temp.birth('D', :'all3', '2026-11-21T12:00:00Z') as r4 \gset
reset role;
select is(pg_temp.summary(:'r4') - 'rejections' - 'device_uns_path',
          '{"metrics": {"inserted": 0, "updated": 0, "revived": 1, "unchanged": 2, "retired": 0, "rejected": 0},
            "properties_written": 0, "versions_written": 1, "lineage_written": 0, "jobs_enqueued": 1}'::jsonb,
          'a birth naming m3 again: revived = 1 (counted apart from updated), 1 version, 1 job');
select results_eq($$select metric_id, retired_at, version from uns_meta.metrics where name = 'm3' and device_id = pg_temp.device_id('D')$$,
                  $$select metric_id, null::timestamptz, 3 from m_before where name = 'm3' and device_id = pg_temp.device_id('D')$$,
                  'm3 is live again with the same metric_id, version 3');
select results_eq($$select version_no, change_kind, diff from uns_meta.metric_versions where metric_id = pg_temp.metric_id('D', 'm3') and version_no = 3$$,
                  $$values (3, 'revived', '{"retired_at": {"old": "2026-11-21T11:00:00+00:00", "new": null}}'::jsonb)$$,
                  'a "revived" version with diff {"retired_at": {"old": <when retired>, "new": null}}');
select is((select count(*)::int from uns_meta.metrics where name = 'm3' and device_id = pg_temp.device_id('D')), 1,
          'revival reuses the row: no second m3');

-- Retired again, then revived with a changed property: one version holds both.
set local role uns_meta_app;
select pg_temp.birth('D', :'without_m3', '2026-11-21T13:00:00Z') as r5 \gset
select pg_temp.birth('D', jsonb_set(:'all3', '{2,properties,values,0}', '{"type": 3, "intValue": 0}'), '2026-11-21T14:00:00Z') as r6 \gset
reset role;
select is(((:'r5'::jsonb) -> 'metrics' ->> 'retired')::int, 1, 'm3 retired a second time');
select results_eq($$select version_no, change_kind, diff from uns_meta.metric_versions where metric_id = pg_temp.metric_id('D', 'm3') and version_no > 3 order by version_no$$,
                  $$values (4, 'retired', '{"retired_at": {"old": null, "new": "2026-11-21T13:00:00+00:00"}}'::jsonb),
                           (5, 'revived', '{"retired_at": {"old": "2026-11-21T13:00:00+00:00", "new": null},
                                            "properties": {"changed": {"Quality": {"old": {"type": "Int32", "value": 192},
                                                                                   "new": {"type": "Int32", "value": 0}}}}}')$$,
                  'revived with a changed property: one "revived" version holding the retired_at and property diffs');
select is(((:'r6'::jsonb) -> 'metrics'), '{"inserted": 0, "updated": 0, "revived": 1, "unchanged": 2, "retired": 0, "rejected": 0}'::jsonb,
          '... counted once, as revived');

-- 3. An empty birth retires every live metric of the device --------------------------------------------------------
set local role uns_meta_app;
select pg_temp.birth('D', '[]', '2026-11-21T15:00:00Z') as r7 \gset
reset role;
select is(pg_temp.summary(:'r7') -> 'metrics', '{"inserted": 0, "updated": 0, "revived": 0, "unchanged": 0, "retired": 3, "rejected": 0}'::jsonb,
          'a DBIRTH with no metrics retires all three');
select is((select count(*)::int from uns_meta.metrics where device_id = pg_temp.device_id('D') and retired_at = '2026-11-21 15:00:00+00'), 3,
          '... with retired_at = its received_at');
select is((select count(*)::int from uns_meta.metrics where device_id = pg_temp.device_id('D')), 3, '... and deletes none');
select is((select count(*)::int from uns_meta.metric_properties where metric_id in (select metric_id from uns_meta.metrics where device_id = pg_temp.device_id('D'))), 2,
          '... nor their properties');
select is((select retired_at from uns_meta.metrics where metric_id = pg_temp.metric_id('Other', 'm3')), null, '... nor touches another device');

-- 4. received_at omitted: now() ------------------------------------------------------------------------------------
set local role uns_meta_app;
select pg_temp.birth('D', '[{"name": "m1", "datatype": 9}]') as r8 \gset
select pg_temp.birth('D', '[]') as r9 \gset
reset role;
select is((select retired_at from uns_meta.metrics where metric_id = pg_temp.metric_id('D', 'm1')), now(),
          'without received_at the retirement time is now()');
select is((select source from uns_meta.metric_versions where metric_id = pg_temp.metric_id('D', 'm1') order by version_no desc limit 1),
          'spBv1.0/G/DBIRTH/E/D received ' || to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          '... and the version source names it, in UTC');

-- 5. Invariants -------------------------------------------------------------------------------------------------------
select is((select count(*)::int from uns_meta.metrics as m
            where m.version <> (select max(v.version_no) from uns_meta.metric_versions as v where v.metric_id = m.metric_id)), 0,
          'metrics.version is the latest version_no of every metric');
select is((select count(*)::int from uns_meta.metrics as m
            where (m.retired_at is null) <> ((select v.change_kind from uns_meta.metric_versions as v where v.metric_id = m.metric_id
                                               order by v.version_no desc limit 1) <> 'retired')), 0,
          'a metric is retired exactly when its latest version is "retired"');
select is((select count(*)::int from uns_meta.metric_versions as v
            where v.version_no <> (select count(*) from uns_meta.metric_versions as w where w.metric_id = v.metric_id and w.version_no <= v.version_no)), 0,
          'version numbers are 1, 2, 3, ... without gaps');

select * from finish();
rollback;
