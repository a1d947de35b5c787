-- Deploy uns_meta:functions/ingest_birth__stage_metrics to pg
-- requires: tables/metrics functions/decode_property_value functions/path_rules
begin;

-- Whether a call of ingest_birth with p_rows metrics looks them up in uns_meta.metrics by probing its unique indexes,
-- one metric at a time (ingest_birth__stage_metrics' lookup of the device's names, the three checks of
-- ingest_birth__reject_metrics against the catalog), instead of reading the table once into a hash join. A probe
-- reads about 3 index pages (the root and inner pages stay in shared_buffers) and costs the same however large the
-- table; the hash join reads every page of the table (or of the device's entries), about 17 metrics a page, and
-- grows with the catalog: chunk after chunk of a large first birth (docs/sql-api.md, "Speed"). So: probes once the
-- table has more pages than the call has metrics (a table about 17 times the call), where the other plan would read
-- more than the call's worth of pages for each lookup; either way a lookup costs in proportion to the call.
-- uns_meta.catalog_probes = 'on' or 'off' (a session or transaction setting) overrides the rule: for tests (both
-- plans must give the same staging) and to compare the two plans on one birth.
create function uns_meta.ingest_birth__probes_catalog(p_rows bigint)
  returns boolean
  language sql stable
  set search_path = pg_catalog, pg_temp
as $$
  select case current_setting('uns_meta.catalog_probes', true)
           when 'on' then true
           when 'off' then false
           else pg_relation_size('uns_meta.metrics') / 8192 > p_rows
         end
$$;
comment on function uns_meta.ingest_birth__probes_catalog(bigint) is
  'ingest_birth: true when a call of p_rows metrics should look them up in metrics by index probes (the table has more pages than the call has metrics) rather than by reading the table; uns_meta.catalog_probes = on/off overrides.';
revoke all on function uns_meta.ingest_birth__probes_catalog(bigint) from public;
grant execute on function uns_meta.ingest_birth__probes_catalog(bigint) to uns_meta_app;

-- Step 5 of ingest_birth: stages the metrics of p_metrics (payload.metrics) in uns_meta_stage_metrics with what the
-- catalog holds for them (old_*), refuses the birth if one is malformed (U0001), and gives every metric that needs
-- one a UNS path and Canary id under p_base_path (the device's path before rewrite rules).
-- jsonb_to_recordset splits the array in one pass (far cheaper than an -> per field and metric); it rejects
-- an element that is not an object, and then the element-by-element check below names the offender.
-- Under the current rules (p_paths_current) a live metric keeps its stored path; the others (new names, revived
-- metrics, or all after a rule change) get one here. p_large: more than 1,000 metrics. Returns the number staged.
create function uns_meta.ingest_birth__stage_metrics(p_metrics jsonb, p_device_id bigint, p_base_path text, p_paths_current boolean, p_large boolean)
  returns integer
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_bad   record;
  v_n     integer;
  v_probe boolean := uns_meta.ingest_birth__probes_catalog(jsonb_array_length(p_metrics));
begin
  -- The catalog lookup: when the device's catalog may be much larger than this call (v_probe, see
  -- ingest_birth__probes_catalog), the INSERT below leaves it out (its join reads no row of metrics) and an UPDATE
  -- after it probes uq_metric_spb_identity once per staged name. Otherwise, for a large birth, a hash join, where the
  -- planner takes jsonb_to_recordset for 100 rows and would look each one up in metrics' index (three times slower
  -- for 98,332 metrics into a catalog no larger than them; for a small birth the index lookups are the right plan).
  -- ingest_birth restores enable_nestloop for its caller when it ends.
  if p_large and not v_probe then
    perform set_config('enable_nestloop', 'off', true);
  end if;
  begin
    insert into uns_meta_stage_metrics (ord, name, datatype, alias, is_historical, is_transient, props_hash, problem,
                                        reject_reason, metric_id, old_uns_path, old_datatype, old_alias, old_is_historical, old_is_transient,
                                        old_retired_at, old_props_hash, old_version, uns_path, canary_id)
    select c.ord, c.name #>> '{}',
           case when c.problem is null and c.reject is null then (c.datatype #>> '{}')::bigint end,
           case when c.problem is null and c.reject is null then (c.alias #>> '{}')::numeric end,
           coalesce(case when c.problem is null and c.reject is null then c.is_historical::boolean end, false),
           coalesce(case when c.problem is null and c.reject is null then c.is_transient::boolean end, false),
           decode(md5(coalesce(c.properties, '{}')::text), 'hex'),
           c.problem,
           case when c.problem is null then
             case when c.reject is not null then c.reject #>> '{}'
                  when octet_length(c.name #>> '{}') > 1024 then
                    format('the name is %s bytes long; names over 1024 bytes (UTF-8) are refused, shorten it at the edge',
                           octet_length(c.name #>> '{}'))
             end
           end,
           m.metric_id, m.uns_path, m.datatype, m.alias, m.is_historical, m.is_transient, m.retired_at, m.properties_hash,
           m.version,
           case when p_paths_current and m.retired_at is null then m.uns_path end,
           case when p_paths_current and m.retired_at is null then m.canary_id end
      from (select r.ord - 1 as ord, r.name, r.datatype, r.alias, r.is_historical, r.is_transient, r.properties, r.reject,
                   case
                     when jsonb_typeof(r.name) is distinct from 'string' or r.name #>> '{}' = '' then
                       'has no "name" (alias-only metrics must be named from the alias map before ingest_birth)'
                     -- A metric the caller rejects (the ingestor: a NUL character) needs only its name and the reason.
                     when r.reject is not null then
                       case when jsonb_typeof(r.reject) <> 'string' or r.reject #>> '{}' = '' then '"reject" must be a non-empty string (the reason)' end
                     when r.datatype is null then '"datatype" is missing'
                     when not uns_meta.jsonb_is_integer(r.datatype, 0, 4294967295) then '"datatype" must be an integer 0..4294967295'
                     when r.alias is not null and not uns_meta.jsonb_is_integer(r.alias, 0, 18446744073709551615) then
                       '"alias" must be an integer 0..18446744073709551615'
                     when jsonb_typeof(r.is_historical) <> 'boolean' then '"isHistorical" must be a boolean'
                     when jsonb_typeof(r.is_transient) <> 'boolean' then '"isTransient" must be a boolean'
                     when jsonb_typeof(r.properties) <> 'object' then '"properties" must be an object'
                     when jsonb_typeof(coalesce(r.properties -> 'keys', '[]')) <> 'array' then '"properties.keys" must be an array'
                     when jsonb_typeof(coalesce(r.properties -> 'values', '[]')) <> 'array' then '"properties.values" must be an array'
                     when jsonb_array_length(coalesce(r.properties -> 'keys', '[]'))
                          <> jsonb_array_length(coalesce(r.properties -> 'values', '[]')) then
                       format('"properties" has %s keys but %s values', jsonb_array_length(coalesce(r.properties -> 'keys', '[]')),
                              jsonb_array_length(coalesce(r.properties -> 'values', '[]')))
                   end as problem
              from rows from (jsonb_to_recordset(p_metrics) as (name jsonb, datatype jsonb, alias jsonb, "isHistorical" jsonb,
                                                                 "isTransient" jsonb, properties jsonb, reject jsonb))
                   with ordinality as r(name, datatype, alias, is_historical, is_transient, properties, reject, ord)
            offset 0) as c
      -- (not v_probe in the subquery, not in the ON clause: there it would filter the joined rows of a hash built
      -- over the whole device; here it keeps metrics from being read at all.)
      left join (select * from uns_meta.metrics where not v_probe) as m on m.device_id = p_device_id and m.name = c.name #>> '{}';
    get diagnostics v_n = row_count;
  exception when invalid_parameter_value then
    -- An element is not an object: find the first one.
    select e.ord - 1 as i into v_bad
      from jsonb_array_elements(p_metrics) with ordinality as e(m, ord)
     where jsonb_typeof(e.m) <> 'object'
     order by e.ord
     limit 1;
    if not found then
      raise;
    end if;
    raise exception using errcode = 'U0001', message = format('ingest_birth: payload.metrics[%s] is not an object', v_bad.i);
  end;
  perform set_config('enable_nestloop', 'on', true);
  if v_probe then
    -- The same columns as the INSERT's join would have given, for the names the device has; LIMIT 1 (the key is
    -- unique) keeps the lookup a nested loop over the staged rows, one probe each.
    update uns_meta_stage_metrics as s
       set metric_id = m.metric_id, old_uns_path = m.uns_path, old_datatype = m.datatype, old_alias = m.alias,
           old_is_historical = m.is_historical, old_is_transient = m.is_transient, old_retired_at = m.retired_at,
           old_props_hash = m.properties_hash, old_version = m.version,
           uns_path = case when p_paths_current and m.retired_at is null then m.uns_path end,
           canary_id = case when p_paths_current and m.retired_at is null then m.canary_id end
      from uns_meta_stage_metrics as sm
     cross join lateral (select m.metric_id, m.uns_path, m.canary_id, m.datatype, m.alias, m.is_historical, m.is_transient,
                                m.retired_at, m.properties_hash, m.version
                           from uns_meta.metrics as m
                          where m.device_id = p_device_id and m.name = sm.name
                          limit 1) as m
     where s.ord = sm.ord;
  end if;
  select ord as i, name, problem into v_bad from uns_meta_stage_metrics where problem is not null order by ord limit 1;
  if found then
    raise exception using errcode = 'U0001',
      message = format('ingest_birth: payload.metrics[%s]%s %s', v_bad.i, coalesce(' (' || v_bad.name || ')', ''), v_bad.problem);
  end if;

  insert into uns_meta_stage_segments (seg, norm)
  select seg, uns_meta.normalise_segment(seg)
    from (select distinct unnest(string_to_array(name, '/')) as seg from uns_meta_stage_metrics where uns_path is null and reject_reason is null) as d;
  if v_n > 1000 then
    analyze uns_meta_stage_metrics;
    analyze uns_meta_stage_segments;
  end if;

  -- A segment that normalises to nothing (an emoji, `-`, ` _ `, or an empty one as in `a//b`) would vanish from
  -- the path and could make the metric the folder of another tag (`Plant/ / _ /-` is `Plant`): the metric is
  -- rejected, naming the first such segment. A name with no segment left keeps the reason below.
  update uns_meta_stage_metrics as s
     set reject_reason = format('its name segment %s (%s) normalises to nothing under the path rules and would be dropped from the path; rename it at the edge or add a normalisation rule',
                                x.i, to_json(x.seg))
    from (select distinct on (sm.ord) sm.ord, u.i, u.seg
            from uns_meta_stage_metrics as sm
           cross join lateral unnest(string_to_array(sm.name, '/')) with ordinality as u(seg, i)
            join uns_meta_stage_segments as g on g.seg = u.seg
           where sm.uns_path is null and sm.reject_reason is null and coalesce(g.norm, '') = ''
           order by sm.ord, u.i) as x
   where s.ord = x.ord
     and exists (select from unnest(string_to_array(s.name, '/')) as u(seg)
                   join uns_meta_stage_segments as g on g.seg = u.seg
                  where coalesce(g.norm, '') <> '');

  -- Path composition as in uns_meta.metric_uns_path(), over the distinct segments. A name that normalises to
  -- nothing keeps a NULL path (and is rejected below).
  update uns_meta_stage_metrics as s
     set uns_path = p.uns_path, canary_id = replace(p.uns_path, '/', '.')
    from (select sm.ord, uns_meta.rewrite_path(p_base_path || '/' || string_agg(g.norm, '/' order by u.i)) as uns_path
            from uns_meta_stage_metrics as sm
           cross join lateral unnest(string_to_array(sm.name, '/')) with ordinality as u(seg, i)
            join uns_meta_stage_segments as g on g.seg = u.seg
           where sm.uns_path is null and g.norm <> ''
           group by sm.ord) as p
   where s.ord = p.ord;
  return v_n;
end
$$;
comment on function uns_meta.ingest_birth__stage_metrics(jsonb, bigint, text, boolean, boolean) is
  'ingest_birth step 5: stages payload.metrics with the catalog''s rows for them (U0001 for a malformed metric), rejects names with a segment that normalises to nothing, composes UNS paths and Canary ids; returns the number of metrics staged.';
revoke all on function uns_meta.ingest_birth__stage_metrics(jsonb, bigint, text, boolean, boolean) from public;
grant execute on function uns_meta.ingest_birth__stage_metrics(jsonb, bigint, text, boolean, boolean) to uns_meta_app;

commit;
