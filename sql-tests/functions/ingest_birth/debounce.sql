-- pgTAP: the debounced Canary sync that uns_meta.ingest_birth enqueues. One graphile-worker job per device, key
-- canary_sync_device:<device_id>, run_at = now() + settings.debounce_interval; a burst of births (each changing
-- something) leaves exactly one waiting job whose run_at is that of the latest birth (job_key replace mode).
-- now() does not move inside the test transaction, so the burst changes the debounce setting between births
-- to tell their run_at apart (10, 5, then 1 minute: the latest wins, not the largest).
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local extra_float_digits = 1;
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(19);
\ir _helpers.psql

-- 1. A burst of three births -----------------------------------------------------------------------------------
update uns_meta.settings set value = '"10 minutes"' where key = 'debounce_interval';
set local role uns_meta_app;
select pg_temp.birth('D', '[{"name": "m", "datatype": 9}]', '2026-11-21T10:00:00Z') as r1 \gset
reset role;
select results_eq($$select task_identifier, key, run_at, revision, payload from pg_temp.jobs_of(pg_temp.device_id('D'))$$,
                  format($$values ('canary_sync_device', 'canary_sync_device:%1$s', now() + interval '10 minutes', 0, '{"device_id": %1$s}'::jsonb)$$,
                         pg_temp.device_id('D')),
                  'birth 1: one job, key canary_sync_device:<device_id>, payload {"device_id"}, run_at = now() + 10 minutes (the setting)');
create temp table job1 as select * from pg_temp.jobs_of(pg_temp.device_id('D'));

update uns_meta.settings set value = '"5 minutes"' where key = 'debounce_interval';
set local role uns_meta_app;
select pg_temp.birth('D', '[{"name": "m", "datatype": 10}]', '2026-11-21T10:00:10Z') as r2 \gset
reset role;
select results_eq($$select id, key, run_at, revision from pg_temp.jobs_of(pg_temp.device_id('D'))$$,
                  $$select id, key, now() + interval '5 minutes', 1 from job1$$,
                  'birth 2 (datatype changed): the same job is replaced, run_at = now() + 5 minutes, revision 1');

update uns_meta.settings set value = '"1 minute"' where key = 'debounce_interval';
set local role uns_meta_app;
select pg_temp.birth('D', '[{"name": "m", "datatype": 10}, {"name": "n", "datatype": 9}]', '2026-11-21T10:00:20Z') as r3 \gset
reset role;
select results_eq($$select id, key, run_at, revision, attempts, locked_at from pg_temp.jobs_of(pg_temp.device_id('D'))$$,
                  $$select id, key, now() + interval '1 minute', 2, 0::smallint, null::timestamptz from job1$$,
                  'birth 3 (metric added): still that one job, waiting, run_at = now() + 1 minute (the latest birth''s, not the largest)');
select is((select count(*)::int from graphile_worker.jobs), 1, 'after the burst: exactly one job in graphile_worker.jobs');
select is(array[((:'r1'::jsonb) ->> 'jobs_enqueued')::int, ((:'r2'::jsonb) ->> 'jobs_enqueued')::int, ((:'r3'::jsonb) ->> 'jobs_enqueued')::int],
          array[1, 1, 1], 'each birth of the burst reports jobs_enqueued = 1 (enqueued or pushed back)');
select results_eq($$select queue_name, priority, max_attempts from graphile_worker.jobs$$,
                  $$values (null::text, 0::smallint, 25::smallint)$$, 'no queue (jobs of different devices run in parallel), default priority and attempts');

-- 2. No-op births do not push the job back -------------------------------------------------------------------
update uns_meta.settings set value = '"7 minutes"' where key = 'debounce_interval';
create temp table job3 as select * from pg_temp.jobs_of(pg_temp.device_id('D'));
set local role uns_meta_app;
select pg_temp.birth('D', '[{"name": "m", "datatype": 10}, {"name": "n", "datatype": 9}]', '2026-11-21T10:00:30Z') as r4 \gset
reset role;
select is(((:'r4'::jsonb) ->> 'jobs_enqueued')::int, 0, 'an identical birth enqueues nothing');
select results_eq($$select id, run_at, revision from pg_temp.jobs_of(pg_temp.device_id('D'))$$, $$select id, run_at, revision from job3$$,
                  '... and leaves run_at and revision as they were');

-- 3. One job per device ----------------------------------------------------------------------------------------
set local role uns_meta_app;
select pg_temp.birth('E2', '[{"name": "m", "datatype": 9}]', '2026-11-21T10:00:40Z') as r5 \gset
reset role;
select results_eq($$select key, payload::jsonb from graphile_worker._private_jobs order by id$$,
                  format($$values ('canary_sync_device:%1$s', '{"device_id": %1$s}'::jsonb), ('canary_sync_device:%2$s', '{"device_id": %2$s}')$$,
                         pg_temp.device_id('D'), pg_temp.device_id('E2')),
                  'another device gets its own job');
select is((select run_at from pg_temp.jobs_of(pg_temp.device_id('E2'))), now() + interval '7 minutes', '... with the current setting');

-- 4. The setting: zero, absent ---------------------------------------------------------------------------------
update uns_meta.settings set value = '"0"' where key = 'debounce_interval';
set local role uns_meta_app;
select pg_temp.birth('D', '[{"name": "m", "datatype": 11}]', '2026-11-21T10:01:00Z') as r6 \gset
reset role;
select is((select run_at from pg_temp.jobs_of(pg_temp.device_id('D'))), now(), 'debounce_interval "0": run_at = now(), no delay');
delete from uns_meta.settings where key = 'debounce_interval';
set local role uns_meta_app;
select pg_temp.birth('D', '[{"name": "m", "datatype": 12}]', '2026-11-21T10:02:00Z') as r7 \gset
reset role;
select is((select run_at from pg_temp.jobs_of(pg_temp.device_id('D'))), now() + interval '3 minutes',
          'without the setting row the default debounce of 3 minutes applies');
select is((select count(*)::int from pg_temp.jobs_of(pg_temp.device_id('D'))), 1, '... still one job for the device');

-- 5. A birth while the worker runs the sync: a follow-up job -------------------------------------------------------
update graphile_worker._private_jobs set locked_at = now(), locked_by = 'worker-1', attempts = 1
 where key = 'canary_sync_device:' || pg_temp.device_id('D');
create temp table running as select id from graphile_worker._private_jobs where locked_by = 'worker-1';
set local role uns_meta_app;
select pg_temp.birth('D', '[{"name": "m", "datatype": 13}]', '2026-11-21T10:03:00Z') as r8 \gset
reset role;
select results_eq($$select j.id in (select id from running), j.key is null, j.locked_by from graphile_worker._private_jobs as j
                     where j.payload::jsonb = jsonb_build_object('device_id', pg_temp.device_id('D')) order by j.id$$,
                  $$values (true, true, 'worker-1'::text), (false, false, null)$$,
                  'a birth during a running sync leaves that job alone (graphile-worker detaches its key) and enqueues a follow-up');
select is((select count(*)::int from pg_temp.jobs_of(pg_temp.device_id('D')) where locked_at is null), 1,
          '... exactly one waiting job carries the key');

-- 6. A birth that only retires also enqueues; a first birth with no metrics too -------------------------------------
delete from graphile_worker._private_jobs;
set local role uns_meta_app;
select pg_temp.birth('D', '[]', '2026-11-21T10:04:00Z') as r9 \gset
reset role;
select is(((:'r9'::jsonb) ->> 'jobs_enqueued')::int, 1, 'a birth whose only change is a retirement enqueues the sync');
select is((select count(*)::int from pg_temp.jobs_of(pg_temp.device_id('D'))), 1, '... one job');
set local role uns_meta_app;
select pg_temp.birth('Empty', '[]', '2026-11-21T10:05:00Z') as r10 \gset
select pg_temp.birth('Empty', '[]', '2026-11-21T10:06:00Z') as r11 \gset
reset role;
select is(((:'r10'::jsonb) ->> 'jobs_enqueued')::int, 1, 'a new device with no metrics is a change: one job');
select is(((:'r11'::jsonb) ->> 'jobs_enqueued')::int, 0, '... and its empty re-birth is a no-op');

select * from finish();
rollback;
