-- Deploy uns_meta:functions/reapply_path_rules to pg
-- requires: functions/reapply_path_rules@v0.4.0 triggers/catalog_changes
begin;

-- The normalised path of a metric, before path rewrites: metric_uns_path(b, n) = rewrite_path(metric_base_path(b, n))
-- (sql-tests/functions/reapply_path_rules.sql checks it). Defined here rather than in functions/path_rules, which is
-- released (@v0.4.0): reapply_path_rules needs the path before the rewrite to say which rewrite rules moved a row.
create function uns_meta.metric_base_path(device_base_path text, name text) returns text
  language sql stable parallel safe
  set search_path = pg_catalog
return (select device_base_path || '/' || string_agg(n, '/' order by i)
          from unnest(string_to_array(name, '/')) with ordinality as u(s, i)
          cross join lateral (select uns_meta.normalise_segment(u.s)) as x(n)
         where n <> '');
comment on function uns_meta.metric_base_path(text, text) is
  'Normalised path of a metric before path rewrites, from its device''s base path (uns_meta.device_base_path) and its Sparkplug name; '
  'uns_meta.metric_uns_path is rewrite_path() of it. NULL when the name normalises to nothing.';

-- Which path rewrite rules turn a normalised path into its UNS path: the enabled path_rewrite_rules that change it,
-- applied one by one in rule_id order as rewrite_path() applies them, each named with its description; or, when none
-- changes it, that the path is the normalised one. Always with the path rules version (path_rules_version()).
-- reapply_path_rules writes it into its lineage rows and versions; a DBA may call it to explain a path.
create function uns_meta.explain_path_rewrite(normalised_path text) returns text
  language plpgsql stable parallel safe
  set search_path = pg_catalog
as $$
declare
  v_path text := normalised_path;
  v_next text;
  v_applied text[] := '{}'::text[];
  r record;
begin
  if normalised_path is null then
    return null;
  end if;
  for r in select rule_id, description, pattern, replacement, flags
             from uns_meta.path_rewrite_rules where enabled order by rule_id loop
    v_next := regexp_replace(v_path, r.pattern, r.replacement, r.flags);
    if v_next <> v_path then
      v_applied := v_applied || format('%s "%s"', r.rule_id, r.description);
    end if;
    v_path := v_next;
  end loop;
  if cardinality(v_applied) = 0 then
    return format('no path_rewrite_rules rule applies, the path is the normalised one (segment_normalisation_rules); path rules version %s',
                  uns_meta.path_rules_version());
  end if;
  return format('path_rewrite_rules %s; path rules version %s', array_to_string(v_applied, ', '), uns_meta.path_rules_version());
end
$$;
comment on function uns_meta.explain_path_rewrite(text) is
  'Which enabled path_rewrite_rules (rule_id and description, in rule_id order) change a normalised path, or that none does '
  '(the path is the normalised one), with the path rules version. The reason of reapply_path_rules'' lineage rows.';

revoke all on function uns_meta.metric_base_path(text, text), uns_meta.explain_path_rewrite(text) from public;
grant execute on function uns_meta.metric_base_path(text, text), uns_meta.explain_path_rewrite(text) to uns_meta_app, uns_meta_ro;

-- Applies the current path rules (segment normalisation and rewrites) to every existing device and metric now,
-- instead of waiting for their next birth. Identities stay (device_id, metric_id); each changed path gets a
-- lineage row, each changed metric a version row ('updated', diff {"uns_path": {"old", "new"}}), each affected
-- device one debounced Canary sync (enqueued by the metrics trigger of triggers/catalog_changes, which sees the
-- versions move; this function writes the versions itself). The reason of a lineage row (and the source of a version)
-- names who reapplied the rules, when, and which rewrite rules give the new path (explain_path_rewrite of the
-- normalised path): 'path rules reapplied by <role> at <time>: path_rewrite_rules <id> "<description>", ...; path
-- rules version <md5>'. A path that would collide with another keeps its old path and is reported
-- (and kept in ingest_rejections with topic 'reapply_path_rules'). Returns a summary.
-- Run by a DBA (uns_meta_admin) after editing segment_normalisation_rules or path_rewrite_rules;
-- `select uns_meta.reapply_path_rules(dry_run => true)` shows what would change and writes nothing.
create or replace function uns_meta.reapply_path_rules(dry_run boolean default false) returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
  set jit = off
as $$
declare
  v_reapplied text := format('path rules reapplied by %s at %s: ', current_user, now());
  v_rejected integer;
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
  select m.metric_id, m.device_id, m.name, m.uns_path as old_path, b.base_path,
         uns_meta.rewrite_path(b.base_path) as new_path, null::text as reject_reason
    from uns_meta.metrics as m join reapply_devices as r using (device_id)
   cross join lateral (select uns_meta.metric_base_path(r.base_path, m.name)) as b(base_path);

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
  insert into uns_meta.device_path_lineage (device_id, old_uns_path, new_uns_path, changed_by, reason)
  select device_id, old_path, new_path, current_user, v_reapplied || uns_meta.explain_path_rewrite(base_path)
    from reapply_devices where reject_reason is null and new_path <> old_path
  on conflict on constraint uq_device_lineage do nothing;

  with moved as (
    update uns_meta.metrics as m set uns_path = r.new_path, version = m.version + 1
      from reapply_metrics as r
     where r.metric_id = m.metric_id and r.reject_reason is null and r.new_path <> r.old_path
    returning m.metric_id, m.version, r.old_path, r.new_path, v_reapplied || uns_meta.explain_path_rewrite(r.base_path) as reason
  ), versions as (
    insert into uns_meta.metric_versions (metric_id, version_no, change_kind, changed_by, source, diff)
    select metric_id, version, 'updated', current_user, reason,
           jsonb_build_object('uns_path', jsonb_build_object('old', old_path, 'new', new_path))
      from moved
    returning metric_id
  )
  insert into uns_meta.metric_path_lineage (metric_id, old_uns_path, new_uns_path, changed_by, reason)
  select metric_id, old_path, new_path, current_user, reason from moved
  on conflict on constraint uq_lineage do nothing;

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

  -- The Canary sync of the moved metrics' devices was enqueued by the metrics trigger (triggers/catalog_changes).
  return v_summary;
end
$$;
comment on function uns_meta.reapply_path_rules(boolean) is
  'Applies the current path rules to every existing device and metric now (lineage and versions naming the rewrite rules that give each new path, one Canary sync per device); dry_run => true only reports. For DBAs.';
revoke all on function uns_meta.reapply_path_rules(boolean) from public;

commit;
