-- Deploy uns_meta:functions/ingest_birth__reject_metrics to pg
-- requires: tables/metrics tables/ingest_rejections
begin;

-- Step 6 of ingest_birth: rejects the staged metrics that cannot get a unique path (a name twice, in this call or an
-- earlier chunk of the birth, an empty or too long path, a path or Canary id another metric holds, a Canary id that
-- would be a tag and a folder at once); the rest of the birth applies. Records the rejections in
-- uns_meta.ingest_rejections and returns their count and the summary's "rejections" list. A chunk adds its names to
-- the birth's (uns_meta_birth_names, which the retirement step keeps).
create function uns_meta.ingest_birth__reject_metrics(p_device_id bigint, p_chunk_index integer, p_topic text, p_received_at timestamptz, out o_rejected integer, out o_rejections jsonb)
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_probe boolean;
begin
  if coalesce(p_chunk_index, 0) > 0 then
    update uns_meta_stage_metrics as s set reject_reason = 'the name appears twice in this birth (in an earlier chunk)'
      from uns_meta_birth_names as n
     where n.device_id = p_device_id and n.name = s.name;
  end if;
  update uns_meta_stage_metrics set reject_reason = 'the name normalises to an empty UNS path'
   where uns_path is null and reject_reason is null;
  update uns_meta_stage_metrics
     set reject_reason = format('its UNS path is %s bytes long; paths over 2000 bytes are refused, shorten the name at the edge',
                                octet_length(uns_path))
   where reject_reason is null and octet_length(uns_path) > 2000;
  if exists (select from uns_meta_stage_metrics where reject_reason is null group by uns_path having count(*) > 1)
     or exists (select from uns_meta_stage_metrics where reject_reason is null group by canary_id having count(*) > 1) then
    update uns_meta_stage_metrics as s
       set reject_reason = case
             when d.rn_path > 1 and d.first_path = s.name then 'the name appears twice in this birth'
             when d.rn_path > 1 then format('its UNS path %s is also the path of %s, earlier in this birth', s.uns_path, d.first_path)
             else format('its Canary id %s is also the Canary id of %s, earlier in this birth', s.canary_id, d.first_canary)
           end
      from (select ord,
                   row_number() over by_path as rn_path, first_value(name) over by_path as first_path,
                   row_number() over by_canary as rn_canary, first_value(name) over by_canary as first_canary
              from uns_meta_stage_metrics
             where reject_reason is null
            window by_path as (partition by uns_path order by ord), by_canary as (partition by canary_id order by ord)) as d
     where d.ord = s.ord and (d.rn_path > 1 or d.rn_canary > 1);
  end if;
  -- Against the catalog (here and in the folder check below): by a hash join over the table, or, when the table is
  -- much larger than this call (uns_meta.ingest_birth__probes_catalog, the rule ingest_birth__stage_metrics
  -- followed), by one probe of the unique index per new path: the same rows, in proportion to the call.
  v_probe := uns_meta.ingest_birth__probes_catalog((select count(*) from uns_meta_stage_metrics));
  if v_probe then
    update uns_meta_stage_metrics as s
       set reject_reason = format('its UNS path %s belongs to metric %s (%s of device %s)', s.uns_path, x.metric_id, x.name, x.device_id)
      from (select sm.ord, m.metric_id, m.name, m.device_id
              from uns_meta_stage_metrics as sm
             cross join lateral (select m.metric_id, m.name, m.device_id from uns_meta.metrics as m
                                  where m.uns_path = sm.uns_path and m.metric_id is distinct from sm.metric_id limit 1) as m
             where sm.reject_reason is null and sm.uns_path is distinct from sm.old_uns_path) as x
     where s.ord = x.ord;
    update uns_meta_stage_metrics as s
       set reject_reason = format('its Canary id %s belongs to metric %s (%s of device %s)', s.canary_id, x.metric_id, x.name, x.device_id)
      from (select sm.ord, m.metric_id, m.name, m.device_id
              from uns_meta_stage_metrics as sm
             cross join lateral (select m.metric_id, m.name, m.device_id from uns_meta.metrics as m
                                  where m.canary_id = sm.canary_id and m.metric_id is distinct from sm.metric_id limit 1) as m
             where sm.reject_reason is null and sm.uns_path is distinct from sm.old_uns_path) as x
     where s.ord = x.ord;
  else
    update uns_meta_stage_metrics as s
       set reject_reason = format('its UNS path %s belongs to metric %s (%s of device %s)', s.uns_path, m.metric_id, m.name, m.device_id)
      from uns_meta.metrics as m
     where s.reject_reason is null and s.uns_path is distinct from s.old_uns_path
       and m.uns_path = s.uns_path and m.metric_id is distinct from s.metric_id;
    update uns_meta_stage_metrics as s
       set reject_reason = format('its Canary id %s belongs to metric %s (%s of device %s)', s.canary_id, m.metric_id, m.name, m.device_id)
      from uns_meta.metrics as m
     where s.reject_reason is null and s.uns_path is distinct from s.old_uns_path
       and m.canary_id = s.canary_id and m.metric_id is distinct from s.metric_id;
  end if;

  -- A tag must never be the folder of another tag: every "." of a Canary id is a level of Canary's tree (and
  -- every "/" of a UNS path becomes one), and Canary cannot hold `X.a` as a tag and `X.a.b` under it. Only new
  -- paths are checked (pairs the catalog already holds stay as they are). Within the birth, the metric with the
  -- new path is rejected, or the later one when both are new; against the catalog, the new one. A retired metric
  -- keeps its Canary id reserved, so it also keeps its folder from becoming a tag (and the reverse).
  if exists (select from uns_meta_stage_metrics where reject_reason is null and uns_path is distinct from old_uns_path) then
    -- Against the catalog: an existing metric (of any device, retired too) whose Canary id is an ancestor of a new
    -- one, or lies under it (the C.UTF-8 order puts every "<id>.…" between "<id>." and "<id>/", a range of the
    -- canary_id index).
    if v_probe then
      -- One probe per distinct ancestor (the call's metrics share most of their folders). The ancestors are listed
      -- twice rather than kept in a CTE, whose tuplestore the join below would spill to disk (4,237 temporary
      -- blocks per 20,000-metric chunk in bench/ingest-profile.ts).
      update uns_meta_stage_metrics as s
         set reject_reason = x.reason
        from (select distinct on (n.ord) n.ord,
                     format('its Canary id %s lies under %s, the tag of metric %s (%s of device %s); a Canary tag cannot also be a folder',
                            n.canary_id, m.canary_id, m.metric_id, m.name, m.device_id) as reason
                from (select sm.ord, sm.metric_id, sm.canary_id, array_to_string(a.parts[1:i], '.') as ancestor
                        from uns_meta_stage_metrics as sm
                       cross join lateral (select string_to_array(sm.canary_id, '.') as parts) as a
                       cross join lateral generate_series(1, cardinality(a.parts) - 1) as i
                       where sm.reject_reason is null and sm.uns_path is distinct from sm.old_uns_path) as n
                join (select m.*
                        from (select distinct array_to_string(a.parts[1:i], '.') as ancestor
                                from uns_meta_stage_metrics as sm
                               cross join lateral (select string_to_array(sm.canary_id, '.') as parts) as a
                               cross join lateral generate_series(1, cardinality(a.parts) - 1) as i
                               where sm.reject_reason is null and sm.uns_path is distinct from sm.old_uns_path) as d
                       cross join lateral (select m.metric_id, m.canary_id, m.name, m.device_id from uns_meta.metrics as m
                                            where m.canary_id = d.ancestor limit 1) as m) as m
                  on m.canary_id = n.ancestor and m.metric_id is distinct from n.metric_id
               order by n.ord, length(m.canary_id)) as x
       where s.ord = x.ord;
    else
      update uns_meta_stage_metrics as s
         set reject_reason = x.reason
        from (select distinct on (n.ord) n.ord,
                     format('its Canary id %s lies under %s, the tag of metric %s (%s of device %s); a Canary tag cannot also be a folder',
                            n.canary_id, m.canary_id, m.metric_id, m.name, m.device_id) as reason
                from (select sm.ord, sm.metric_id, sm.canary_id, array_to_string(a.parts[1:i], '.') as ancestor
                        from uns_meta_stage_metrics as sm
                       cross join lateral (select string_to_array(sm.canary_id, '.') as parts) as a
                       cross join lateral generate_series(1, cardinality(a.parts) - 1) as i
                       where sm.reject_reason is null and sm.uns_path is distinct from sm.old_uns_path) as n
                join uns_meta.metrics as m on m.canary_id = n.ancestor and m.metric_id is distinct from n.metric_id
               order by n.ord, length(m.canary_id)) as x
       where s.ord = x.ord;
    end if;
    update uns_meta_stage_metrics as s
       set reject_reason = x.reason
      from (select sm.ord,
                   format('its Canary id %s is the folder of %s, the tag of metric %s (%s of device %s); a Canary tag cannot also be a folder',
                          sm.canary_id, m.canary_id, m.metric_id, m.name, m.device_id) as reason
              from uns_meta_stage_metrics as sm
             cross join lateral (select m.metric_id, m.canary_id, m.name, m.device_id
                                   from uns_meta.metrics as m
                                  where m.canary_id > sm.canary_id || '.' and m.canary_id < sm.canary_id || '/'
                                    and starts_with(m.canary_id, sm.canary_id || '.') and m.metric_id is distinct from sm.metric_id
                                  order by m.canary_id limit 1) as m
             where sm.reject_reason is null and sm.uns_path is distinct from sm.old_uns_path) as x
     where s.ord = x.ord;
    -- Within the birth (after the catalog, so that a reason never names a metric rejected itself):
    with live as (
      select ord, name, canary_id, uns_path is not distinct from old_uns_path as kept
        from uns_meta_stage_metrics where reject_reason is null
    ), folder_tags as (
      select t.* from live as t
       where t.canary_id in (select array_to_string(p.parts[1:i], '.')
                               from (select string_to_array(canary_id, '.') as parts from live) as p
                              cross join lateral generate_series(1, cardinality(p.parts) - 1) as i)
    ), pairs as (
      select t.ord as t_ord, t.name as t_name, t.canary_id as t_id, t.kept as t_kept,
             d.ord as d_ord, d.name as d_name, d.canary_id as d_id, d.kept as d_kept
        from folder_tags as t
        join live as d on starts_with(d.canary_id, t.canary_id || '.')
       where not (t.kept and d.kept)
    )
    update uns_meta_stage_metrics as s
       set reject_reason = x.reason
      from (select distinct on (r.ord) r.ord, r.reason
              from (select case when p.t_kept or (not p.d_kept and p.t_ord < p.d_ord) then p.d_ord else p.t_ord end as ord,
                           case when p.t_kept or (not p.d_kept and p.t_ord < p.d_ord)
                                then format('its Canary id %s lies under %s, the tag of %s%s; a Canary tag cannot also be a folder',
                                            p.d_id, p.t_id, p.t_name, case when p.t_kept then '' else ', earlier in this birth' end)
                                else format('its Canary id %s is the folder of %s, the tag of %s%s; a Canary tag cannot also be a folder',
                                            p.t_id, p.d_id, p.d_name, case when p.d_kept then '' else ', earlier in this birth' end)
                           end as reason,
                           least(p.t_ord, p.d_ord) as other
                      from pairs as p) as r
             order by r.ord, r.other) as x
     where s.ord = x.ord;
  end if;

  if p_chunk_index is not null then
    insert into uns_meta_birth_names (device_id, name)
    select p_device_id, name from uns_meta_stage_metrics;
  end if;

  select count(*), coalesce(jsonb_agg(jsonb_build_object('metric', name, 'reason', reject_reason) order by ord), '[]')
    into o_rejected, o_rejections
    from uns_meta_stage_metrics where reject_reason is not null;
  if o_rejected > 0 then
    insert into uns_meta.ingest_rejections (topic, metric_name, reason, detail, received_at)
    select p_topic, name, reject_reason, jsonb_build_object('uns_path', uns_path, 'canary_id', canary_id, 'payload_index', ord), p_received_at
      from uns_meta_stage_metrics where reject_reason is not null order by ord;
  end if;
end
$$;
comment on function uns_meta.ingest_birth__reject_metrics(bigint, integer, text, timestamptz) is
  'ingest_birth step 6: rejects staged metrics without a unique UNS path or Canary id (or whose Canary id would be a tag and a folder), records them in ingest_rejections, returns their count and list.';
revoke all on function uns_meta.ingest_birth__reject_metrics(bigint, integer, text, timestamptz) from public;
grant execute on function uns_meta.ingest_birth__reject_metrics(bigint, integer, text, timestamptz) to uns_meta_app;

commit;
