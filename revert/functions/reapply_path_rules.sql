-- Revert uns_meta:functions/reapply_path_rules from pg: back to its @v0.4.0 version (the same as
-- deploy/functions/reapply_path_rules@v0.4.0.sql, but replacing the function).
begin;

-- Applies the current path rules (segment normalisation and rewrites) to every existing device and metric now,
-- instead of waiting for their next birth. Identities stay (device_id, metric_id); each changed path gets a
-- lineage row, each changed metric a version row ('updated', diff {"uns_path": {"old", "new"}}), each affected
-- device one debounced Canary sync. A path that would collide with another keeps its old path and is reported
-- (and kept in ingest_rejections with topic 'reapply_path_rules'). Returns a summary.
-- Run by a DBA (uns_meta_admin) after editing segment_normalisation_rules or path_rewrite_rules;
-- `select uns_meta.reapply_path_rules(dry_run => true)` shows what would change and writes nothing.
create or replace function uns_meta.reapply_path_rules(dry_run boolean default false) returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
  set jit = off
as $$
declare
  v_reason text := format('path rules reapplied by %s at %s', current_user, now());
  v_rejected integer;
  v_devices integer := 0;
  v_metrics integer := 0;
  v_summary jsonb;
begin
  -- Births wait while paths move (they would otherwise compute paths from the rules being applied twice).
  lock table uns_meta.devices, uns_meta.metrics in share row exclusive mode;

  if to_regclass('pg_temp.reapply_devices') is not null then  -- an earlier call in this transaction
    drop table pg_temp.reapply_devices, pg_temp.reapply_metrics;
  end if;
  create temp table reapply_devices on commit drop as
  select d.device_id, d.group_id, d.edge, d.device, d.uns_path as old_path,
         uns_meta.device_base_path(d.group_id, d.edge, d.device) as base_path,
         uns_meta.rewrite_path(uns_meta.device_base_path(d.group_id, d.edge, d.device)) as new_path,
         null::text as reject_reason
    from uns_meta.devices as d;
  create temp table reapply_metrics on commit drop as
  select m.metric_id, m.device_id, m.name, m.uns_path as old_path,
         uns_meta.metric_uns_path(r.base_path, m.name) as new_path, null::text as reject_reason
    from uns_meta.metrics as m join reapply_devices as r using (device_id);

  update reapply_devices set reject_reason = 'a Sparkplug id normalises to an empty UNS segment' where new_path is null;
  update reapply_metrics set reject_reason = 'the name normalises to an empty UNS path' where new_path is null;
  -- A rejected row keeps its old path, which may collide with another row's new path: repeat until stable.
  -- Among rows wanting one path, the row that already has it wins, then the oldest id.
  loop
    with final as (
      select device_id, coalesce(case when reject_reason is null then new_path end, old_path) as path,
             reject_reason is null and new_path <> old_path as moving
        from reapply_devices),
    losers as (
      select device_id, path from (
        select device_id, path, moving, row_number() over (partition by path order by moving, device_id) as rn from final) as x
       where rn > 1 and moving)
    update reapply_devices as r set reject_reason = format('its new UNS path %s is taken by another device', l.path)
      from losers as l where l.device_id = r.device_id;
    get diagnostics v_rejected = row_count;
    exit when v_rejected = 0;
  end loop;
  loop
    with final as (
      select metric_id, coalesce(case when reject_reason is null then new_path end, old_path) as path,
             reject_reason is null and new_path <> old_path as moving
        from reapply_metrics),
    losers as (
      select metric_id, path from (
        select metric_id, path, moving,
               row_number() over (partition by path order by moving, metric_id) as rn_path,
               row_number() over (partition by replace(path, '/', '.') order by moving, metric_id) as rn_canary
          from final) as x
       where (rn_path > 1 or rn_canary > 1) and moving)
    update reapply_metrics as r set reject_reason = format('its new UNS path %s (or its Canary id) is taken by another metric', l.path)
      from losers as l where l.metric_id = r.metric_id;
    get diagnostics v_rejected = row_count;
    exit when v_rejected = 0;
  end loop;

  select jsonb_build_object(
           'dry_run', dry_run,
           'devices_moved', (select count(*) from reapply_devices where reject_reason is null and new_path <> old_path),
           'metrics_moved', (select count(*) from reapply_metrics where reject_reason is null and new_path <> old_path),
           'changes', coalesce((select jsonb_agg(jsonb_build_object('metric_id', metric_id, 'old', old_path, 'new', new_path) order by metric_id)
                                  from reapply_metrics where reject_reason is null and new_path <> old_path), '[]'),
           'rejections', coalesce((select jsonb_agg(jsonb_build_object('device_id', device_id, 'reason', reject_reason) order by device_id)
                                     from reapply_devices where reject_reason is not null), '[]')
                         || coalesce((select jsonb_agg(jsonb_build_object('metric_id', metric_id, 'name', name, 'reason', reject_reason) order by metric_id)
                                        from reapply_metrics where reject_reason is not null), '[]'))
    into v_summary;
  if dry_run then
    return v_summary;
  end if;

  update uns_meta.devices as d
     set uns_path = r.new_path, country = split_part(r.new_path, '/', 2), business_unit = split_part(r.new_path, '/', 3)
    from reapply_devices as r
   where r.device_id = d.device_id and r.reject_reason is null and r.new_path <> r.old_path;
  get diagnostics v_devices = row_count;
  insert into uns_meta.device_path_lineage (device_id, old_uns_path, new_uns_path, changed_by, reason)
  select device_id, old_path, new_path, current_user, v_reason
    from reapply_devices where reject_reason is null and new_path <> old_path
  on conflict on constraint uq_device_lineage do nothing;

  with moved as (
    update uns_meta.metrics as m set uns_path = r.new_path, version = m.version + 1
      from reapply_metrics as r
     where r.metric_id = m.metric_id and r.reject_reason is null and r.new_path <> r.old_path
    returning m.metric_id, m.version, r.old_path, r.new_path
  ), versions as (
    insert into uns_meta.metric_versions (metric_id, version_no, change_kind, changed_by, source, diff)
    select metric_id, version, 'updated', current_user, v_reason,
           jsonb_build_object('uns_path', jsonb_build_object('old', old_path, 'new', new_path))
      from moved
    returning metric_id
  )
  insert into uns_meta.metric_path_lineage (metric_id, old_uns_path, new_uns_path, changed_by, reason)
  select metric_id, old_path, new_path, current_user, v_reason from moved
  on conflict on constraint uq_lineage do nothing;
  select count(*) into v_metrics from reapply_metrics where reject_reason is null and new_path <> old_path;

  insert into uns_meta.ingest_rejections (topic, metric_name, reason, detail)
  select 'reapply_path_rules', name, reject_reason, jsonb_build_object('metric_id', metric_id, 'kept', old_path, 'wanted', new_path)
    from reapply_metrics where reject_reason is not null
  union all
  select 'reapply_path_rules', null, reject_reason, jsonb_build_object('device_id', device_id, 'kept', old_path, 'wanted', new_path)
    from reapply_devices where reject_reason is not null;

  -- Devices whose live metrics all have the current rules' paths now: their next births reuse them.
  update uns_meta.devices as d
     set path_rules_version = case
           when exists (select from reapply_devices as r where r.device_id = d.device_id and r.reject_reason is not null)
             or exists (select from reapply_metrics as r where r.device_id = d.device_id and r.reject_reason is not null) then null
           else uns_meta.path_rules_version() end;

  perform uns_meta.enqueue_canary_sync(array(
    select distinct device_id from reapply_metrics where reject_reason is null and new_path <> old_path));
  return v_summary;
end
$$;
comment on function uns_meta.reapply_path_rules(boolean) is
  'Applies the current path rules to every existing device and metric now (lineage, versions, one Canary sync per device); dry_run => true only reports. For DBAs.';
revoke all on function uns_meta.reapply_path_rules(boolean) from public;

-- The helpers this change added, which the @v0.4.0 version does not use.
drop function uns_meta.explain_path_rewrite(text);
drop function uns_meta.metric_base_path(text, text);

commit;
