-- Deploy uns_meta:functions/ingest_birth__settle_birth to pg
-- requires: functions/enqueue_canary_sync functions/path_rules tables/devices
begin;

-- The end of every ingest_birth call (step 11 after the retirements): notes in the birth's state whether this call
-- changed something (p_changed) or rejected a metric (p_rejected). On the last (or only) call: enqueues the device's
-- one debounced Canary sync when the birth changed or retired (p_retired) anything, records the rules its metric
-- paths now follow (devices.path_rules_version), and forgets the birth's chunk bookkeeping. A large call (p_large)
-- gives its staging space back now rather than holding it until the session's next birth. Returns the jobs enqueued.
create function uns_meta.ingest_birth__settle_birth(p_device_id bigint, p_last boolean, p_changed boolean, p_rejected boolean,
                                                    p_retired integer, p_large boolean)
  returns integer
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_jobs integer := 0;
begin
  update uns_meta_birth_state set changed = changed or p_changed, rejected = rejected or p_rejected
   where device_id = p_device_id;
  if p_last then
    if p_retired > 0 or (select changed from uns_meta_birth_state where device_id = p_device_id) then
      perform uns_meta.enqueue_canary_sync(array[p_device_id]);
      v_jobs := 1;
    end if;
    -- Every live metric now has its path from the rules the birth began with -- unless the rules changed
    -- meanwhile, or a metric was rejected (it keeps an older path): then the next birth recomputes them all.
    update uns_meta.devices as d
       set path_rules_version = v.version
      from (select case when not b.rejected and b.rules_version = uns_meta.path_rules_version() then b.rules_version end
              from uns_meta_birth_state as b where b.device_id = p_device_id) as v(version)
     where d.device_id = p_device_id and d.path_rules_version is distinct from v.version;
    delete from uns_meta_birth_state where device_id = p_device_id;
    delete from uns_meta_birth_names where device_id = p_device_id;
  end if;
  if p_large then
    truncate uns_meta_stage_metrics, uns_meta_stage_segments, uns_meta_stage_props, uns_meta_stage_prop_changes;
    if not exists (select from uns_meta_birth_names) then
      truncate uns_meta_birth_names;
    end if;
  end if;
  return v_jobs;
end
$$;
comment on function uns_meta.ingest_birth__settle_birth(bigint, boolean, boolean, boolean, integer, boolean) is
  'ingest_birth''s end of a call: notes its outcome in the birth''s state; on the last call enqueues the device''s Canary sync if anything changed, records devices.path_rules_version and forgets the chunk state; a large call truncates its staging tables. Returns the jobs enqueued.';
revoke all on function uns_meta.ingest_birth__settle_birth(bigint, boolean, boolean, boolean, integer, boolean) from public;
grant execute on function uns_meta.ingest_birth__settle_birth(bigint, boolean, boolean, boolean, integer, boolean) to uns_meta_app;

commit;
