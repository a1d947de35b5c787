-- Revert uns_meta:functions/enqueue_canary_sync from pg: back to its @v0.4.0 version (the same as
-- deploy/functions/enqueue_canary_sync@v0.4.0.sql, but replacing the function).
begin;

-- Debounced Canary sync jobs, one per device, in ONE graphile_worker.add_jobs call.
-- Job granularity (docs/sql-api.md): per device with a watermark. The job says only "device N changed";
-- the worker compares each metric's version with the version Canary last confirmed and sends what differs.
-- job_key 'canary_sync_device:<id>' with the default job_key_mode (replace) moves run_at to
-- now() + debounce_interval on every birth, so a burst of births yields one sync of the final state.
--
-- SECURITY DEFINER because add_jobs needs the rights of the role that installed graphile_worker (the DBA,
-- uns_meta_admin, runs `graphile-worker --schema-only`); it returns void and its body is resolved at run
-- time, so no object of ours depends on graphile-worker's types.
create or replace function uns_meta.enqueue_canary_sync(device_ids bigint[]) returns void
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  debounce interval := coalesce(uns_meta.setting_interval('debounce_interval'), interval '3 minutes');
begin
  if coalesce(cardinality(device_ids), 0) = 0 then
    return;
  end if;
  perform graphile_worker.add_jobs(array(
    select row('canary_sync_device', json_build_object('device_id', id), null, now() + debounce, null,
               'canary_sync_device:' || id, null, null)::graphile_worker.job_spec
      from (select distinct unnest(device_ids) as id) as ids
     where id is not null
     order by id));
end
$$;
comment on function uns_meta.enqueue_canary_sync(bigint[]) is
  'Enqueues (or pushes back) one debounced canary_sync_device job per device, run_at = now() + settings.debounce_interval, in one add_jobs call.';
revoke all on function uns_meta.enqueue_canary_sync(bigint[]) from public;
grant execute on function uns_meta.enqueue_canary_sync(bigint[]) to uns_meta_app;

commit;
