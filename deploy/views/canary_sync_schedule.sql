-- Deploy uns_meta:views/canary_sync_schedule to pg
-- requires: grants/graphile_worker functions/enqueue_canary_sync tables/devices
begin;

-- When is the next Canary sync of a device due? The sync jobs are graphile-worker's (functions/enqueue_canary_sync:
-- task canary_sync_device, payload {"device_id": <id>}, debounced by run_at). Their table, graphile_worker._private_jobs,
-- has row-level security and is graphile-worker's private business (its releases may change it), so uns_meta_ro gets
-- no right on it. Instead this SECURITY DEFINER function reads it with the rights of its owner, the DBA role that
-- installed graphile_worker and owns its tables (an owner is not subject to their row-level security), and returns
-- only what the schedule needs: not the payload beyond the device id, not last_error (a worker's error text may quote
-- Canary's answers or URLs). Its body is a string, checked when created but not bound to graphile-worker's tables,
-- so a graphile-worker migration is never blocked by it (a view on _private_jobs would be).
create function uns_meta.canary_sync_jobs()
  returns table (device_id bigint, run_at timestamptz, locked_at timestamptz, attempts integer, max_attempts integer,
                 created_at timestamptz)
  language sql stable security definer
  set search_path = pg_catalog, pg_temp
as $$
  select case when j.payload ->> 'device_id' ~ '^[0-9]{1,18}$' then (j.payload ->> 'device_id')::bigint end,
         j.run_at, j.locked_at, j.attempts::integer, j.max_attempts::integer, j.created_at
    from graphile_worker._private_jobs as j
    join graphile_worker._private_tasks as t on t.id = j.task_id
   where t.identifier = 'canary_sync_device'
$$;
comment on function uns_meta.canary_sync_jobs() is
  'The canary_sync_device jobs of graphile-worker (device, run_at, lock, attempts, created_at), for uns_meta.canary_sync_schedule. SECURITY DEFINER: readers need no right on graphile_worker.';
revoke all on function uns_meta.canary_sync_jobs() from public;
grant execute on function uns_meta.canary_sync_jobs() to uns_meta_app, uns_meta_ro;

create view uns_meta.canary_sync_schedule as
select j.device_id,
       d.uns_path,
       case
         when j.locked_at is not null then 'running'
         when j.attempts >= j.max_attempts then 'failed'
         when j.run_at <= now() then 'due'
         else 'waiting'
       end as status,
       j.run_at as due_at,
       j.locked_at as running_since,
       j.attempts,
       j.max_attempts,
       j.created_at as queued_at
  from uns_meta.canary_sync_jobs() as j
  left join uns_meta.devices as d using (device_id);
comment on view uns_meta.canary_sync_schedule is
  'When is the next Canary sync of a device due? One row per canary_sync_device job of graphile-worker: a device has none when nothing of it waits for Canary, '
  'one while a change waits out the debounce, two when a change arrives while its sync runs (the running job and the next).';
comment on column uns_meta.canary_sync_schedule.device_id is 'The device (uns_meta.devices.device_id) the job syncs.';
comment on column uns_meta.canary_sync_schedule.uns_path is 'The device''s UNS path (NULL if the device row was deleted since).';
comment on column uns_meta.canary_sync_schedule.status is
  'waiting (due_at not reached: the debounce, or the pause before a retry), due (waits for a free worker), running, failed (no attempts left: the worker gave up; a DBA looks at graphile_worker.jobs.last_error).';
comment on column uns_meta.canary_sync_schedule.due_at is
  'When the worker may run it: the last change + settings.debounce_interval (each change pushes it back), or the time of the next retry.';
comment on column uns_meta.canary_sync_schedule.running_since is 'When a worker took the job (NULL unless running).';
comment on column uns_meta.canary_sync_schedule.attempts is 'Attempts so far (counted when a worker takes the job): above 0 on a job not running, the earlier ones failed.';
comment on column uns_meta.canary_sync_schedule.max_attempts is 'Attempts graphile-worker makes before it gives up (status failed).';
comment on column uns_meta.canary_sync_schedule.queued_at is 'When the job was first enqueued: the oldest change of the device it carries.';
grant select on uns_meta.canary_sync_schedule to uns_meta_app, uns_meta_ro;

commit;
