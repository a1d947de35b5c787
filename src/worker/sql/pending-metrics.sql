-- The next page of metrics to sync, in metric_id order after $3, with the Canary properties to send.
-- $1 device_id (NULL = any), $2 UNS path prefix (NULL = any), $3 metric_id to start after, $4 page size,
-- $5 force: every selected metric, every property (resync / replay); otherwise only metrics whose version
--    differs from the version Canary confirmed, and only the properties Canary may not hold: those whose Canary name
--    a version diff after written_version (the version whose properties Canary holds for the tag) touched; all of
--    them when the tag path is new, no version was ever written, or a name mapping changed since,
-- $6 dataset override (NULL = the first segment of canary_id, the Sparkplug group), $7 metric_ids (NULL = any).
-- `properties_json` (compact JSON text) maps Canary property names (through uns_meta.canary_property_names; on a
-- clash the lowest precedence wins, and a mapped name wins over a raw key of the same name) to typed JSON values:
-- numbers stay numbers, NaN/±Infinity and DateTime are strings, an explicit null is JSON null. Nested-set markers
-- carry no value and are not sent.
-- Cost (it is most of the database's work in a sync): one index scan of metric_properties per picked metric, the
-- text built with string_agg. A page-wide join + sort + group and jsonb_object_agg cost about twice as much; as text
-- does not merge duplicate keys, a property whose Canary name another key of the metric wins is dropped before
-- aggregating (`shadowed`).
with picked as (
  select m.metric_id, m.version, m.is_transient, m.retired_at is not null as retired, m.updated_at,
         s.canary_tag as confirmed_tag, s.written_version,
         case when $6::text is null then m.canary_id
              else $6::text || '.' || substr(m.canary_id, strpos(m.canary_id, '.') + 1) end as tag
    from uns_meta.metrics m
    -- `s.metric_id > $3` repeats the page's start for the planner (it does not carry an inequality across the join):
    -- without it a merge join read canary_sync_state from its first row for every page, which grows with each page
    -- confirmed (quadratic in the device's size)
    left join uns_meta.canary_sync_state s on s.metric_id = m.metric_id and s.metric_id > $3
   where ($1::bigint is null or m.device_id = $1)
     and ($2::text is null or m.uns_path = $2 or starts_with(m.uns_path, $2 || '/'))
     and ($7::bigint[] is null or m.metric_id = any ($7))
     and m.metric_id > $3
     -- pending: Canary never confirmed the metric or confirmed another version (versions are >= 1, so 0 stands for
     -- "none"). Written as `coalesce(...) <> version`, not `s.confirmed_version is distinct from m.version`: the
     -- planner estimates the latter from the statistics of both columns and, once canary_sync_state was analyzed
     -- during a sync (every confirmed version equal to its metric's), expected ONE pending metric for the whole
     -- device; the page then sorted every remaining metric of the device instead of walking them in order (a
     -- 100,000-metric sync: 4-6 of its 50 pages, each with parallel workers). An expression without statistics is
     -- estimated as mostly pending, which is what a sync finds (test/worker/page-reads.test.ts).
     and ($5::boolean or coalesce(s.confirmed_version, 0) <> m.version)
   order by m.metric_id
   limit $4
), shared as (
  select canary_name from uns_meta.canary_property_names group by canary_name having count(*) > 1
), since as (
  -- The Canary names of the properties the diffs after written_version touched (added, removed or changed keys, as
  -- named now: a removed key's name may be another key's now), or NULL for "every property": the tag is new, nothing
  -- was ever written to it, a version changed the name mapping, or forced. A new tag (a first sync) reads no version.
  select p.*,
         case when $5::boolean or p.confirmed_tag is distinct from p.tag or p.written_version is null then null
              else (select case when bool_or(mv.diff ? 'canary_property_names') then null
                                else coalesce(array_agg(distinct coalesce(n.canary_name, k.key)) filter (where k.key is not null), '{}') end
                      from uns_meta.metric_versions mv
                      left join lateral jsonb_object_keys(coalesce(mv.diff #> '{properties,added}', '{}')
                                                          || coalesce(mv.diff #> '{properties,removed}', '{}')
                                                          || coalesce(mv.diff #> '{properties,changed}', '{}')) as k(key) on true
                      left join uns_meta.canary_property_names n on n.property_key = k.key
                     where mv.metric_id = p.metric_id and mv.version_no > p.written_version) end as touched
    from picked p
), sent as (
  select p.*, x.props, x.n
    from since p
    -- the properties to send, as a compact JSON object, and how many
    cross join lateral (select '{' || string_agg(to_json(v.name)::text || ':' || v.value, ',') || '}' as props, count(*)::int as n
            from uns_meta.metric_properties mp
            left join uns_meta.canary_property_names n on n.property_key = mp.key
            cross join lateral (
              select coalesce(n.canary_name, mp.key) as name,
                     case when mp.is_null then 'null'
                          else coalesce(to_json(mp.value_int), to_json(mp.value_long), to_json(mp.value_uint64),
                                        to_json(mp.value_float), to_json(mp.value_double), to_json(mp.value_string),
                                        to_json(mp.value_bool), to_json(mp.value_datetime))::text end as value
            ) v
           where mp.metric_id = p.metric_id
             and mp.type not in ('propertyset', 'propertysetlist')
             -- shadowed: another key of this metric maps to the same Canary name and wins (a raw key loses to any
             -- mapped key; among mapped keys the lower (precedence, key) wins). Only a raw key named like a mapped
             -- name, or a mapped name several keys share, can be shadowed: the exists runs only for those.
             and not ((case when n.canary_name is null then mp.key in (select canary_name from uns_meta.canary_property_names)
                            else n.canary_name in (select canary_name from shared) end) and exists (
               select 1 from uns_meta.canary_property_names n2
                 join uns_meta.metric_properties mp2 on mp2.metric_id = mp.metric_id and mp2.key = n2.property_key
                where n2.canary_name = v.name and n2.property_key <> mp.key
                  and (n.canary_name is null or (n2.precedence, n2.property_key) < (n.precedence, n.property_key))
                  and mp2.type not in ('propertyset', 'propertysetlist')))
             -- only what Canary may not hold (everything on a new tag, or when forced: `since`)
             and (p.touched is null or v.name = any (p.touched))
         ) x
)
select p.metric_id::text as metric_id, p.version, p.tag, p.is_transient, p.retired,
       to_char(p.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as changed_at,
       coalesce(p.props, '{}') as properties_json, p.n as property_count
  from sent p
 order by p.metric_id
