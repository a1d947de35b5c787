-- pgTAP: uns_meta.canary_sync_schedule, "when is the next Canary sync of this device due?" for analysts, and the
-- SECURITY DEFINER function under it, uns_meta.canary_sync_jobs(), which reads graphile-worker's jobs (row-level
-- security, no right for uns_meta_ro) with its owner's rights. Jobs are enqueued the way the catalog enqueues them,
-- through uns_meta.enqueue_canary_sync.
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(26);

-- 1. Structure and security ---------------------------------------------------------------------------------------
select has_view('uns_meta', 'canary_sync_schedule', 'view uns_meta.canary_sync_schedule exists');
select columns_are('uns_meta', 'canary_sync_schedule',
                   array['device_id', 'uns_path', 'status', 'due_at', 'running_since', 'attempts', 'max_attempts', 'queued_at'],
                   'its columns: no payload, no last_error');
select table_privs_are('uns_meta', 'canary_sync_schedule', r, array['SELECT'], format('%s reads it', r))
  from unnest(array['uns_meta_ro', 'uns_meta_app']) as r;
select table_privs_are('uns_meta', 'canary_sync_schedule', 'uns_meta_cdc', array[]::text[], 'uns_meta_cdc does not');
select is((select array_agg(attname::text order by attnum) from pg_attribute
            where attrelid = 'uns_meta.canary_sync_schedule'::regclass and attnum > 0 and not attisdropped
              and coalesce(col_description(attrelid, attnum), '') = ''), null, 'every column has a comment');
select isnt(obj_description('uns_meta.canary_sync_schedule'::regclass, 'pg_class'), null, 'the view has a comment');
select is_definer('uns_meta', 'canary_sync_jobs', array[]::name[], 'canary_sync_jobs() is SECURITY DEFINER');
select volatility_is('uns_meta', 'canary_sync_jobs', array[]::name[], 'stable', 'canary_sync_jobs() is stable');
select function_owner_is('uns_meta', 'canary_sync_jobs', array[]::name[], 'uns_meta_admin',
                         'canary_sync_jobs() is owned by uns_meta_admin, who installed graphile_worker and owns its tables');
select is((select proconfig from pg_proc where oid = 'uns_meta.canary_sync_jobs()'::regprocedure), array['search_path=pg_catalog, pg_temp'],
          'canary_sync_jobs() pins search_path (pg_temp last)');
select function_privs_are('uns_meta', 'canary_sync_jobs', array[]::name[], r, case when r in ('uns_meta_ro', 'uns_meta_app') then array['EXECUTE'] else array[]::text[] end,
                          format('%s %s execute canary_sync_jobs()', r, case when r in ('uns_meta_ro', 'uns_meta_app') then 'may' else 'may not' end))
  from unnest(array['public', 'uns_meta_cdc', 'uns_meta_ro', 'uns_meta_app']) as r;
select is((select count(*)::int from pg_depend where objid = 'uns_meta.canary_sync_jobs()'::regprocedure
             and refobjid in ('graphile_worker._private_jobs'::regclass, 'graphile_worker._private_tasks'::regclass)), 0,
          'nothing of ours depends on graphile-worker''s tables (its migrations stay free to change them)');
select ok(not has_schema_privilege('uns_meta_ro', 'graphile_worker', 'usage'), 'uns_meta_ro still has no right on schema graphile_worker');
set local role uns_meta_ro;
select throws_ok('select count(*) from graphile_worker._private_jobs', '42501', null, 'uns_meta_ro cannot read graphile_worker._private_jobs');
select throws_ok('select count(*) from graphile_worker.jobs', '42501', null, '... nor graphile_worker.jobs');
reset role;

-- 2. The schedule ------------------------------------------------------------------------------------------------
insert into uns_meta.devices (group_id, edge, device, uns_path)
  values ('G', 'E', 'Kiln', 'G/E/Kiln'), ('G', 'E', 'Mill', 'G/E/Mill'), ('G', 'E', 'Silo', 'G/E/Silo'), ('G', 'E', 'Quiet', 'G/E/Quiet');
select device_id as kiln from uns_meta.devices where device = 'Kiln' \gset
select device_id as mill from uns_meta.devices where device = 'Mill' \gset
select device_id as silo from uns_meta.devices where device = 'Silo' \gset
select device_id as quiet from uns_meta.devices where device = 'Quiet' \gset
update uns_meta.settings set value = '"45 seconds"' where key = 'debounce_interval';
set local role uns_meta_app;
select uns_meta.enqueue_canary_sync(array[:kiln, :mill, :silo]::bigint[]) as void_result \gset
reset role;
-- A job of another task naming a device is not a Canary sync.
select (graphile_worker.add_job('some_other_task', json_build_object('device_id', :quiet))).id as other_job \gset

set local role uns_meta_ro;
select results_eq($$select device_id, uns_path, status, due_at, running_since, attempts, max_attempts, queued_at
                      from uns_meta.canary_sync_schedule order by uns_path$$,
                  format($$values (%s::bigint, 'G/E/Kiln', 'waiting', now() + interval '45 seconds', null::timestamptz, 0, 25, now()),
                                  (%s, 'G/E/Mill', 'waiting', now() + interval '45 seconds', null, 0, 25, now()),
                                  (%s, 'G/E/Silo', 'waiting', now() + interval '45 seconds', null, 0, 25, now())$$, :kiln, :mill, :silo),
                  'uns_meta_ro reads one row per enqueued device: waiting, due at now() + the debounce setting (45 s), 0 of 25 attempts, queued now');
select is((select count(*)::int from uns_meta.canary_sync_schedule where device_id = :quiet), 0,
          'a device without a sync job (only a job of another task) has no row');
reset role;

-- A worker takes Kiln's job; a change arrives meanwhile: the running job and the next one. graphile-worker gives the
-- running job its last attempt (attempts = max_attempts), so that if it fails the next one, not a retry, syncs.
update graphile_worker._private_jobs set locked_at = now() - interval '5 seconds', locked_by = 'worker-1', attempts = attempts + 1
 where key = 'canary_sync_device:' || :kiln;
update uns_meta.settings set value = '"2 minutes"' where key = 'debounce_interval';
set local role uns_meta_app;
select uns_meta.enqueue_canary_sync(array[:kiln]::bigint[]) as void_result \gset
set local role uns_meta_ro;
select results_eq(format($$select status, due_at, running_since, attempts from uns_meta.canary_sync_schedule where device_id = %s order by status$$, :kiln),
                  $$values ('running', now() + interval '45 seconds', now() - interval '5 seconds', 25),
                           ('waiting', now() + interval '2 minutes', null, 0)$$,
                  'a change while the sync runs: the running job (since it was taken; no retry left) and the next, due after the new debounce');
reset role;

-- Mill's debounce has passed (waiting for a free worker); Silo's job has used its attempts (graphile-worker gave up).
update graphile_worker._private_jobs set run_at = now() - interval '10 seconds' where key = 'canary_sync_device:' || :mill;
update graphile_worker._private_jobs set attempts = max_attempts, last_error = 'secret detail' where key = 'canary_sync_device:' || :silo;
set local role uns_meta_ro;
select results_eq(format($$select device_id, status, attempts, max_attempts from uns_meta.canary_sync_schedule where device_id in (%s, %s) order by device_id$$, :mill, :silo),
                  format($$values (%s::bigint, 'due', 0, 25), (%s, 'failed', 25, 25)$$, :mill, :silo),
                  'status due once due_at has passed; failed when the attempts are used up (max_attempts)');
select is((select count(*)::int from uns_meta.canary_sync_schedule s where s::text like '%secret detail%'), 0, 'last_error is not shown');
reset role;

-- A job of a device deleted since still shows, without a path.
delete from uns_meta.devices where device_id = :mill;
set local role uns_meta_ro;
select results_eq(format($$select uns_path, status from uns_meta.canary_sync_schedule where device_id = %s$$, :mill),
                  $$values (null::text, 'due')$$, 'a job of a deleted device: still listed, uns_path NULL');
reset role;

-- Malformed payload: listed without a device rather than failing the view.
update graphile_worker._private_jobs set payload = '{"device_id": "x1"}' where key = 'canary_sync_device:' || :mill;
select is((select count(*)::int from uns_meta.canary_sync_schedule where device_id is null), 1,
          'a job whose payload names no valid device id: one row, device_id NULL (the view does not fail)');

select * from finish();
rollback;
