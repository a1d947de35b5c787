-- pgTAP: uns_meta.enqueue_canary_sync(bigint[]), the SECURITY DEFINER wrapper through which uns_meta_app (which has
-- no right on graphile_worker) enqueues one debounced canary_sync_device job per device in one add_jobs call:
-- key canary_sync_device:<device_id>, payload {"device_id": <id>}, run_at = now() + settings.debounce_interval,
-- replacing the waiting job of the same key (job_key_mode replace).
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(30);

create temp view j as
  select j.key, t.identifier as task, j.payload::jsonb as payload, j.run_at, j.revision, q.queue_name, j.priority, j.max_attempts
    from graphile_worker._private_jobs as j join graphile_worker._private_tasks as t on t.id = j.task_id
    left join graphile_worker._private_job_queues as q on q.id = j.job_queue_id;

-- 1. Structure and security ---------------------------------------------------------------------------------------
select has_function('uns_meta', 'enqueue_canary_sync', array['bigint[]'], 'function uns_meta.enqueue_canary_sync(bigint[]) exists');
select function_returns('uns_meta', 'enqueue_canary_sync', array['bigint[]'], 'void', 'it returns void (nothing of graphile-worker leaks to callers)');
select function_lang_is('uns_meta', 'enqueue_canary_sync', array['bigint[]'], 'plpgsql', 'it is PL/pgSQL (add_jobs resolved at run time)');
select volatility_is('uns_meta', 'enqueue_canary_sync', array['bigint[]'], 'volatile', 'it is volatile');
select is_definer('uns_meta', 'enqueue_canary_sync', array['bigint[]'], 'it is SECURITY DEFINER');
select function_owner_is('uns_meta', 'enqueue_canary_sync', array['bigint[]'], 'uns_meta_admin',
                         'it is owned by uns_meta_admin, who installed graphile_worker');
select ok((select proconfig[1] in ('search_path=pg_catalog', 'search_path=pg_catalog, pg_temp') and cardinality(proconfig) = 1
             from pg_proc where oid = 'uns_meta.enqueue_canary_sync(bigint[])'::regprocedure),
          'it pins search_path to pg_catalog (no schema a caller can write to; its objects are schema-qualified)');
select function_privs_are('uns_meta', 'enqueue_canary_sync', array['bigint[]'], 'public', array[]::text[], 'PUBLIC may not execute it');
select function_privs_are('uns_meta', 'enqueue_canary_sync', array['bigint[]'], 'uns_meta_app', array['EXECUTE'], 'uns_meta_app may execute it');
select function_privs_are('uns_meta', 'enqueue_canary_sync', array['bigint[]'], 'uns_meta_ro', array[]::text[], 'uns_meta_ro may not execute it');
select function_privs_are('uns_meta', 'enqueue_canary_sync', array['bigint[]'], 'uns_meta_cdc', array[]::text[], 'uns_meta_cdc may not execute it');
select isnt(obj_description('uns_meta.enqueue_canary_sync(bigint[])'::regprocedure, 'pg_proc'), null, 'it has a comment');
set local role uns_meta_ro;
select throws_ok($$select uns_meta.enqueue_canary_sync(array[1])$$, '42501', 'permission denied for function enqueue_canary_sync',
                 'uns_meta_ro calling it: 42501');
reset role;

-- 2. The application role enqueues through it, and only through it --------------------------------------------------
set local role uns_meta_app;
select throws_ok($$select graphile_worker.add_job('canary_sync_device', '{}')$$, '42501', null,
                 'uns_meta_app has no right on graphile_worker itself');
select lives_ok($$select uns_meta.enqueue_canary_sync(array[101, 102, 101, null])$$, 'uns_meta_app enqueues through the wrapper');
select is(uns_meta.enqueue_canary_sync(array[101])::text, '', 'the call returns void');
reset role;
select results_eq($$select key, task, payload, run_at, revision from j order by key$$,
                  $$values ('canary_sync_device:101', 'canary_sync_device', '{"device_id": 101}'::jsonb, now() + interval '3 minutes', 1),
                           ('canary_sync_device:102', 'canary_sync_device', '{"device_id": 102}', now() + interval '3 minutes', 0)$$,
                  'one job per distinct device (duplicates and NULL ignored): key, task, payload, run_at = now() + 3 minutes; the second call replaced 101''s job');
select results_eq($$select queue_name, priority, max_attempts from j where key = 'canary_sync_device:102'$$,
                  $$values (null::text, 0::smallint, 25::smallint)$$, 'no queue (devices sync in parallel), default priority and attempts');

-- 3. Empty input: nothing -------------------------------------------------------------------------------------------
create temp table jobs_before as select * from graphile_worker.jobs;
set local role uns_meta_app;
select lives_ok($$select uns_meta.enqueue_canary_sync(array[]::bigint[])$$, 'an empty array is accepted');
select lives_ok($$select uns_meta.enqueue_canary_sync(null)$$, 'NULL is accepted');
select lives_ok($$select uns_meta.enqueue_canary_sync(array[null]::bigint[])$$, 'an array of NULL is accepted');
reset role;
select set_eq($$select * from graphile_worker.jobs$$, $$select * from jobs_before$$, '... and none of them touches a job');

-- 4. The debounce setting ----------------------------------------------------------------------------------------------
update uns_meta.settings set value = '"90 seconds"' where key = 'debounce_interval';
set local role uns_meta_app;
select uns_meta.enqueue_canary_sync(array[102, 103]) as void_result \gset
reset role;
select results_eq($$select key, run_at, revision from j where key in ('canary_sync_device:102', 'canary_sync_device:103') order by key$$,
                  $$values ('canary_sync_device:102', now() + interval '90 seconds', 1), ('canary_sync_device:103', now() + interval '90 seconds', 0)$$,
                  'run_at follows the setting (90 seconds); an existing job is replaced (revision + 1), a new one created, in one call');
update uns_meta.settings set value = '"0"' where key = 'debounce_interval';
set local role uns_meta_app;
select uns_meta.enqueue_canary_sync(array[103]) as void_result \gset
reset role;
select is((select run_at from j where key = 'canary_sync_device:103'), now(), 'debounce "0": run_at = now()');
delete from uns_meta.settings where key = 'debounce_interval';
set local role uns_meta_app;
select uns_meta.enqueue_canary_sync(array[103]) as void_result \gset
reset role;
select is((select run_at from j where key = 'canary_sync_device:103'), now() + interval '3 minutes', 'no setting row: 3 minutes');
select is((select count(*)::int from graphile_worker.jobs), 3, 'three devices, three jobs');

-- 5. A job being run is not replaced: a follow-up job is added ----------------------------------------------------------
update graphile_worker._private_jobs set locked_at = now(), locked_by = 'worker-1' where key = 'canary_sync_device:101';
set local role uns_meta_app;
select uns_meta.enqueue_canary_sync(array[101]) as void_result \gset
reset role;
select results_eq($$select key, locked_by from graphile_worker._private_jobs where payload::jsonb = '{"device_id": 101}' order by id$$,
                  $$values (null::text, 'worker-1'::text), ('canary_sync_device:101', null)$$,
                  'the running job keeps running (its key detached) and a new waiting job takes the key');

-- 6. One add_jobs call per enqueue: the body calls add_jobs once and never add_job ------------------------------------
select matches(pg_get_functiondef('uns_meta.enqueue_canary_sync(bigint[])'::regprocedure), 'graphile_worker\.add_jobs\(',
               'the body enqueues with graphile_worker.add_jobs (bulk)');
select doesnt_match(pg_get_functiondef('uns_meta.enqueue_canary_sync(bigint[])'::regprocedure), 'add_job\(',
                    '... and never with the per-job add_job');
select is((select count(*)::int from regexp_matches(pg_get_functiondef('uns_meta.enqueue_canary_sync(bigint[])'::regprocedure), 'add_jobs\(', 'g')), 1,
          '... in exactly one call');

select * from finish();
rollback;
