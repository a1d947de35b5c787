-- pgTAP: everything or nothing. A failure anywhere in uns_meta.ingest_birth -- a malformed property deep in the
-- payload after valid metrics, a CHECK constraint violated by a DBA rule, an error in the final enqueue step --
-- leaves the database exactly as it was: the device row, the metrics updated or inserted, the rejections, the
-- versions, lineage, retirements and the job written before the error are all gone. Each failing call runs in
-- a subtransaction (throws_ok), as a caller's failed transaction would; pg_temp.catalog_digest() digests every
-- row of every table ingest_birth writes, and the job queue, before and after.
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local extra_float_digits = 1;
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(19);
\ir _helpers.psql

set local role uns_meta_app;
select pg_temp.birth('D', '[{"name": "m1", "datatype": 9, "properties": {"keys": ["q"], "values": [{"type": 3, "intValue": 1}]}},
                            {"name": "m2", "datatype": 9}, {"name": "old", "datatype": 9}]', '2026-11-21T10:00:00Z') as r0 \gset
reset role;

-- A birth that would insert, update, reject, retire and enqueue -- and fails on its last metric, deep in a nested set.
select '[{"name": "m1", "datatype": 10, "properties": {"keys": ["q"], "values": [{"type": 3, "intValue": 2}]}},
         {"name": "m2", "datatype": 9},
         {"name": "new", "datatype": 9},
         {"name": "m 2", "datatype": 9}, {"name": "m  2", "datatype": 9},
         {"name": "bad", "datatype": 9, "properties": {"keys": ["ok", "alarms"], "values": [{"type": 12, "stringValue": "fine"},
            {"type": 21, "propertysetsValue": {"propertyset": [{"keys": ["cfg"], "values": [
              {"type": 20, "propertysetValue": {"keys": ["x"], "values": [{"type": 2, "intValue": "x"}]}}]}]}}]}}]' as bad_birth \gset

select pg_temp.catalog_digest() as digest0 \gset
create temp table rows0 as select * from pg_temp.tuples();

-- 1. A malformed property deep in the payload ---------------------------------------------------------------------
set local role uns_meta_app;
select throws_ok(format('select pg_temp.birth(%L, %L)', 'D', :'bad_birth'), 'U0001',
                 'ingest_birth: payload.metrics[5] (bad): property alarms/0/cfg/x: "intValue" must be an integer',
                 'a malformed property in a nested set of the last metric: U0001 naming the metric index, name and key path');
reset role;
select is(pg_temp.catalog_digest(), :'digest0', '... and the database is unchanged: no update of m1, no insert of "new", no rejection, no retirement of "old", no job');
select set_eq($$select * from pg_temp.tuples()$$, $$select * from rows0$$, '... not even a rewritten row');

-- The same for a device that does not exist yet (its row is inserted before the metrics are decoded).
set local role uns_meta_app;
select throws_ok(format('select pg_temp.birth(%L, %L)', 'NewDevice', :'bad_birth'), 'U0001', null, 'the same birth for a new device fails too');
reset role;
select is(pg_temp.catalog_digest(), :'digest0', '... and leaves no device row behind');
select is(pg_temp.device_id('NewDevice'), null, '... (no device NewDevice)');

-- 2. A CHECK constraint violated mid-birth -----------------------------------------------------------------------
-- A DBA rule that yields an empty path segment: the metrics INSERT/UPDATE fails on chk_metrics_uns_path.
insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('^G/E/D/new$', 'G/E/D//new', 'test: a broken rule');
select pg_temp.catalog_digest() as digest1 \gset
set local role uns_meta_app;
select throws_ok(format('select pg_temp.birth(%L, %L)', 'D', jsonb_path_query_array(:'bad_birth', '$[*] ? (@.name != "bad")')),
                 '23514', 'new row for relation "metrics" violates check constraint "chk_metrics_uns_path"',
                 'a rule producing G/E/D//new: the birth fails on chk_metrics_uns_path');
reset role;
select is(pg_temp.catalog_digest(), :'digest1', '... after the device step and the rejections were written: all undone');
-- The same rule on a device path: devices.chk_devices_uns_path, for a new device.
update uns_meta.path_rewrite_rules set pattern = '^G/E/NewDevice$', replacement = 'G/E/NewDevice/' where description = 'test: a broken rule';
select pg_temp.catalog_digest() as digest2 \gset
set local role uns_meta_app;
select throws_ok($$select pg_temp.birth('NewDevice', '[{"name": "x", "datatype": 9}]')$$,
                 '23514', 'new row for relation "devices" violates check constraint "chk_devices_uns_path"',
                 'a rule producing a device path with a trailing "/": the birth fails on chk_devices_uns_path');
reset role;
select is(pg_temp.catalog_digest(), :'digest2', '... and nothing is left behind');
delete from uns_meta.path_rewrite_rules where description = 'test: a broken rule';

-- 3. An error in the very last step (the enqueue), after every catalog write ---------------------------------------
create function pg_temp.refuse_job() returns trigger language plpgsql as $$
begin raise exception using errcode = 'P0001', message = 'test: the job queue refuses'; end $$;
create trigger zz_refuse before insert or update on graphile_worker._private_jobs for each row execute function pg_temp.refuse_job();
select pg_temp.catalog_digest() as digest3 \gset
set local role uns_meta_app;
select throws_ok(format('select pg_temp.birth(%L, %L)', 'D', jsonb_path_query_array(:'bad_birth', '$[*] ? (@.name != "bad")')),
                 'P0001', 'test: the job queue refuses', 'an error raised by the enqueue step fails the birth');
reset role;
select is(pg_temp.catalog_digest(), :'digest3', '... and undoes the versions, properties, retirements and rejections written before it');
drop trigger zz_refuse on graphile_worker._private_jobs;

-- 4. After the failures, the same session ingests normally ------------------------------------------------------
set local role uns_meta_app;
select pg_temp.birth('D', jsonb_path_query_array(:'bad_birth', '$[*] ? (@.name != "bad")'), '2026-11-21T11:00:00Z') as r1 \gset
reset role;
select is(pg_temp.summary(:'r1') -> 'metrics', '{"inserted": 2, "updated": 1, "revived": 0, "unchanged": 1, "retired": 1, "rejected": 1}'::jsonb,
          'without the bad metric the birth applies: 2 inserted (new, "m 2"), m1 updated, m2 unchanged, "old" retired, "m  2" rejected');
select is(((:'r1'::jsonb) ->> 'jobs_enqueued')::int, 1, '... and enqueues its job');
select is((select count(*)::int from uns_meta.ingest_rejections), 1, '... and only now is a rejection recorded');

-- 5. A whole-birth rejection is the caller's to record, after its failed transaction ------------------------------
set local role uns_meta_app;
select lives_ok($$insert into uns_meta.ingest_rejections (topic, metric_name, reason, detail, received_at)
                  values ('spBv1.0/G/DBIRTH/E/D', null,
                          'ingest_birth: payload.metrics[5] (bad): property alarms/0/cfg/x: "intValue" must be an integer',
                          '{"sqlstate": "U0001"}', '2026-11-21T10:30:00Z')$$,
                'uns_meta_app may record a refused birth (metric_name NULL) in ingest_rejections');
reset role;
select is((select count(*)::int from uns_meta.ingest_rejections where metric_name is null), 1, '... kept with metric_name NULL');

-- 6. A failing chunk undoes only itself when the caller uses a savepoint; the birth can go on -----------------------
set local role uns_meta_app;
select pg_temp.birth('C', '[{"name": "a", "datatype": 9}]', chunk => '{"index": 0, "last": false}') as c0 \gset
select throws_ok(format('select pg_temp.birth(%L, %L, chunk => %L)', 'C', jsonb_path_query_array(:'bad_birth', '$[*] ? (@.name == "bad")'),
                        '{"index": 1, "last": false}'),
                 'U0001', null, 'chunk 1 fails (malformed property) inside a savepoint');
select pg_temp.birth('C', '[{"name": "b", "datatype": 9}]', chunk => '{"index": 1, "last": true}') as c1 \gset
reset role;
select is(pg_temp.summary(:'c1') -> 'metrics' ->> 'inserted', '1', 'the retried chunk 1 is accepted: the failed attempt left no chunk state behind');

select * from finish();
rollback;
