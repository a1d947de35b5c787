-- pgTAP: a birth passed to uns_meta.ingest_birth as several chunks in one transaction ({"chunk": {"index": i,
-- "last": bool}}) gives the same catalog as one call: the same metrics, properties and versions; the retirement
-- step runs once, after the last chunk, over the names of all chunks; one job. Chunks out of order: U0003.
-- Method: the one-call result is taken inside a savepoint, kept as JSON in a psql variable
-- (pg_temp.device_state: everything about the device but surrogate ids and timestamps), and rolled back;
-- then the same birth arrives as three chunks and the state is compared.
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local extra_float_digits = 1;
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(22);
\ir _helpers.psql

create function pg_temp.m(name text, q int default 192) returns jsonb language sql as $$
  select jsonb_build_object('name', name, 'datatype', 9, 'properties', jsonb_build_object(
           'keys', '["Quality", "engUnit", "limits"]'::jsonb,
           'values', jsonb_build_array(jsonb_build_object('type', 3, 'intValue', q), '{"type": 12, "stringValue": "bar"}'::jsonb,
                                       '{"type": 20, "propertysetValue": {"keys": ["lo", "hi"], "values": [{"type": 10, "doubleValue": 0}, {"type": 10, "doubleValue": 10}]}}'::jsonb)))
$$;
select jsonb_build_array(pg_temp.m('m1'), pg_temp.m('m2'), pg_temp.m('m3'), pg_temp.m('m4'), pg_temp.m('m5'), pg_temp.m('m6'),
                         pg_temp.m('m7'), pg_temp.m('gone', 7)) as initial \gset
set local role uns_meta_app;
select pg_temp.birth('D', :'initial', '2026-11-21T10:00:00Z') as r0 \gset
reset role;
delete from graphile_worker._private_jobs;

-- The birth under test: m8 new, m1 changed, m2..m7 unchanged, "gone" absent (to be retired; its Quality differs
-- from m8's, so it is no rename: functions/ingest_birth/renames.sql).
select jsonb_build_array(pg_temp.m('m8'), pg_temp.m('m1', 0)) as chunk0,
       jsonb_build_array(pg_temp.m('m2'), pg_temp.m('m3'), pg_temp.m('m4')) as chunk1,
       jsonb_build_array(pg_temp.m('m5'), pg_temp.m('m6'), pg_temp.m('m7')) as chunk2 \gset

-- 1. As one call, in a savepoint --------------------------------------------------------------------------------
savepoint one_call;
set local role uns_meta_app;
select pg_temp.birth('D', (:'chunk0'::jsonb) || (:'chunk1'::jsonb) || (:'chunk2'::jsonb), '2026-11-21T11:00:00Z') as one \gset
reset role;
select pg_temp.device_state('D') as state_one, (select count(*) from graphile_worker.jobs) as jobs_one \gset
rollback to savepoint one_call;
select is(pg_temp.summary(:'one') -> 'metrics', '{"inserted": 1, "updated": 1, "revived": 0, "unchanged": 6, "retired": 1, "rejected": 0}'::jsonb,
          'as one call: m8 inserted, m1 updated, 6 unchanged, "gone" retired');

-- 2. As three chunks ----------------------------------------------------------------------------------------------
set local role uns_meta_app;
select pg_temp.birth('D', :'chunk0', '2026-11-21T11:00:00Z', '{"index": 0, "last": false}') as c0 \gset
reset role;
select is((:'c0'::jsonb) - 'device_id' - 'device_uns_path',
          '{"chunk": {"index": 0, "last": false},
            "metrics": {"inserted": 1, "updated": 1, "revived": 0, "unchanged": 0, "retired": 0, "rejected": 0},
            "properties_written": 6, "versions_written": 2, "lineage_written": 0, "jobs_enqueued": 0, "rejections": []}'::jsonb,
          'chunk 0: applies its own metrics, echoes the chunk, retires nothing, enqueues nothing');
select is((select count(*)::int from uns_meta.metrics where device_id = pg_temp.device_id('D') and retired_at is not null), 0,
          'after chunk 0: no metric retired (m2..m7 are still to come)');
set local role uns_meta_app;
select pg_temp.birth('D', :'chunk1', '2026-11-21T11:00:00Z', '{"index": 1, "last": false}') as c1 \gset
reset role;
select is((:'c1'::jsonb) -> 'metrics', '{"inserted": 0, "updated": 0, "revived": 0, "unchanged": 3, "retired": 0, "rejected": 0}'::jsonb,
          'chunk 1: 3 unchanged');
select is((select count(*)::int from uns_meta.metrics where device_id = pg_temp.device_id('D') and retired_at is not null), 0,
          'after chunk 1: still nothing retired');
select is((select count(*)::int from graphile_worker.jobs), 0, 'after chunk 1: no job yet');
set local role uns_meta_app;
select pg_temp.birth('D', :'chunk2', '2026-11-21T11:00:00Z', '{"index": 2, "last": true}') as c2 \gset
reset role;
select is((:'c2'::jsonb) - 'device_id' - 'device_uns_path',
          '{"chunk": {"index": 2, "last": true},
            "metrics": {"inserted": 0, "updated": 0, "revived": 0, "unchanged": 3, "retired": 1, "rejected": 0},
            "properties_written": 0, "versions_written": 1, "lineage_written": 0, "jobs_enqueued": 1, "rejections": []}'::jsonb,
          'the last chunk retires what no chunk named ("gone", once) and enqueues the one job');

select is(pg_temp.device_state('D'), :'state_one'::jsonb,
          'three chunks give the same catalog as one call: metrics, paths, properties, versions and diffs');
select is((select count(*) from graphile_worker.jobs), :'jobs_one'::bigint, '... and the same single job');
select results_eq($$select name from uns_meta.metrics where device_id = pg_temp.device_id('D') and retired_at is not null$$,
                  $$values ('gone')$$, 'only "gone" is retired');
select is((select count(*)::int from uns_meta.metric_versions where change_kind = 'retired'), 1, 'with one "retired" version');
select is((select jsonb_object_agg(k, (select sum((x -> 'metrics' ->> k)::int) from unnest(array[:'c0'::jsonb, :'c1'::jsonb, :'c2'::jsonb]) as x))
             from unnest(array['inserted', 'updated', 'revived', 'unchanged', 'retired', 'rejected']) as k),
          (:'one'::jsonb) -> 'metrics', 'the chunk summaries add up to the one-call summary');

-- 3. The same chunked birth again: a no-op ---------------------------------------------------------------------------
set local role uns_meta_app;
select pg_temp.birth('D', :'chunk0', '2026-11-21T12:00:00Z', '{"index": 0, "last": false}') as d0 \gset
select pg_temp.birth('D', :'chunk1', '2026-11-21T12:00:00Z', '{"index": 1, "last": false}') as d1 \gset
select pg_temp.birth('D', :'chunk2', '2026-11-21T12:00:00Z', '{"index": 2, "last": true}') as d2 \gset
reset role;
select is(array[((:'d0'::jsonb) ->> 'versions_written')::int, ((:'d1'::jsonb) ->> 'versions_written')::int, ((:'d2'::jsonb) ->> 'versions_written')::int,
                ((:'d2'::jsonb) ->> 'jobs_enqueued')::int, ((:'d2'::jsonb) -> 'metrics' ->> 'retired')::int],
          array[0, 0, 0, 0, 0], 'the same chunks again: no version, no job, no second retirement');

-- 4. Protocol errors: U0003 --------------------------------------------------------------------------------------
set local role uns_meta_app;
select throws_ok($$select pg_temp.birth('D', '[]', chunk => '{"index": 2, "last": true}')$$, 'U0003',
                 'ingest_birth: chunk 2 of spBv1.0/G/DBIRTH/E/D arrived, but this transaction expects chunk 0; send chunks 0, 1, 2, ... of one birth in one transaction',
                 'a chunk after the last one (no birth in progress): U0003, expecting chunk 0');
select pg_temp.birth('D', :'chunk0', chunk => '{"index": 0, "last": false}') as e0 \gset
select throws_ok(format('select pg_temp.birth(%L, %L, chunk => %L)', 'D', :'chunk2', '{"index": 2, "last": true}'), 'U0003',
                 'ingest_birth: chunk 2 of spBv1.0/G/DBIRTH/E/D arrived, but this transaction expects chunk 1; send chunks 0, 1, 2, ... of one birth in one transaction',
                 'chunk 2 after chunk 0 (chunk 1 skipped): U0003, expecting chunk 1');
select lives_ok(format('select pg_temp.birth(%L, %L, chunk => %L)', 'D', :'chunk1', '{"index": 1, "last": false}'),
                'after the refused chunk the birth goes on with the expected chunk 1');
-- A name repeated in a later chunk is rejected, like a name repeated in one call.
select pg_temp.birth('D', jsonb_build_array(pg_temp.m('m1', 0)) || (:'chunk2'::jsonb), chunk => '{"index": 2, "last": true}') as e2 \gset
select is((:'e2'::jsonb) -> 'rejections', '[{"metric": "m1", "reason": "the name appears twice in this birth (in an earlier chunk)"}]'::jsonb,
          'a name already sent in an earlier chunk is rejected');
select is(((:'e2'::jsonb) -> 'metrics' ->> 'retired')::int, 0, '... and the metric it names is not retired for that');

-- Index 0 restarts a birth: the abandoned chunks are forgotten (their names do not protect metrics from retirement).
select pg_temp.birth('D', jsonb_build_array(pg_temp.m('m7')), chunk => '{"index": 0, "last": false}') as f0 \gset
select pg_temp.birth('D', jsonb_path_query_array((:'chunk0'::jsonb) || (:'chunk1'::jsonb) || (:'chunk2'::jsonb), '$[*] ? (@.name != "m7")'),
                     chunk => '{"index": 0, "last": false}') as g0 \gset
select pg_temp.birth('D', '[]', chunk => '{"index": 1, "last": true}') as g1 \gset
reset role;
select results_eq($$select name from uns_meta.metrics where device_id = pg_temp.device_id('D') and retired_at is not null order by name$$,
                  $$values ('gone'), ('m7')$$,
                  'index 0 restarts the birth: m7, named only by the abandoned chunk 0, is retired at the end of the restarted one');

-- 5. Two devices' chunked births interleaved in one transaction --------------------------------------------------
set local role uns_meta_app;
select pg_temp.birth('X', '[{"name": "a", "datatype": 9}]', chunk => '{"index": 0, "last": false}') as x0 \gset
select pg_temp.birth('Y', '[{"name": "a", "datatype": 9}]', chunk => '{"index": 0, "last": false}') as y0 \gset
select pg_temp.birth('X', '[{"name": "b", "datatype": 9}]', chunk => '{"index": 1, "last": true}') as x1 \gset
select pg_temp.birth('Y', '[{"name": "b", "datatype": 9}]', chunk => '{"index": 1, "last": true}') as y1 \gset
reset role;
select results_eq($$select d.device, count(*)::int from uns_meta.metrics as m join uns_meta.devices as d using (device_id)
                     where d.device in ('X', 'Y') group by d.device order by d.device$$,
                  $$values ('X', 2), ('Y', 2)$$, 'chunk state is per device: two interleaved chunked births both complete');
select is((select count(*)::int from graphile_worker.jobs where key in ('canary_sync_device:' || pg_temp.device_id('X'), 'canary_sync_device:' || pg_temp.device_id('Y'))), 2,
          '... each with its job');
select is((:'y1'::jsonb) -> 'chunk', '{"index": 1, "last": true}'::jsonb, 'the summary of a chunk echoes its chunk field');

select * from finish();
rollback;
