-- The next page of metrics to sync, in metric_id order after $3, with the Canary properties to send.
-- $1 device_id (NULL = any), $2 UNS path prefix (NULL = any), $3 metric_id to start after, $4 page size,
-- $5 force: every selected metric, every property (resync / replay); otherwise only metrics whose version
--    differs from the version Canary confirmed, and only properties Canary does not hold with that value
--    (all of them when the tag path is new),
-- $6 dataset override (NULL = the first segment of canary_id, the Sparkplug group), $7 metric_ids (NULL = any).
-- `properties_json` (JSON text) maps Canary property names (through uns_meta.canary_property_names; on a clash the lowest
-- precedence wins) to typed JSON values: numbers stay numbers, NaN/±Infinity and DateTime are strings, an explicit
-- null is JSON null. Nested-set markers carry no value and are not sent. One set-based pass per page.
with picked as (
  select m.metric_id, m.version, m.is_transient, m.retired_at is not null as retired, m.updated_at,
         s.canary_tag as confirmed_tag, s.confirmed_properties,
         case when $6::text is null then m.canary_id
              else $6::text || '.' || substr(m.canary_id, strpos(m.canary_id, '.') + 1) end as tag
    from uns_meta.metrics m
    left join uns_meta.canary_sync_state s using (metric_id)
   where ($1::bigint is null or m.device_id = $1)
     and ($2::text is null or m.uns_path = $2 or starts_with(m.uns_path, $2 || '/'))
     and ($7::bigint[] is null or m.metric_id = any ($7))
     and m.metric_id > $3
     and ($5::boolean or s.confirmed_version is distinct from m.version)
   order by m.metric_id
   limit $4
), shared as (
  select canary_name from uns_meta.canary_property_names group by canary_name having count(*) > 1
), desired as (
  select mp.metric_id,
         -- keys without a mapping cannot clash (keys are unique per metric): no ordering needed; mapped names are
         -- merged last, so they win over a raw key of the same name, and among themselves the lowest precedence wins.
         coalesce(jsonb_object_agg(mp.key, v.value) filter (where n.canary_name is null), '{}')
           || coalesce(jsonb_object_agg(n.canary_name, v.value) filter (where n.canary_name is not null and not v.shadowed), '{}') as props
    from picked p
    join uns_meta.metric_properties mp on mp.metric_id = p.metric_id
    left join uns_meta.canary_property_names n on n.property_key = mp.key
    cross join lateral (
      select case when mp.is_null then 'null'::jsonb
                  else coalesce(to_jsonb(mp.value_int), to_jsonb(mp.value_long), to_jsonb(mp.value_uint64),
                                to_jsonb(mp.value_float), to_jsonb(mp.value_double), to_jsonb(mp.value_string),
                                to_jsonb(mp.value_bool), to_jsonb(mp.value_datetime)) end as value,
             -- another key of this metric maps to the same Canary name with a lower (precedence, key)
             n.canary_name is not null and n.canary_name in (select canary_name from shared) and exists (
               select 1 from uns_meta.canary_property_names n2
                 join uns_meta.metric_properties mp2 on mp2.metric_id = mp.metric_id and mp2.key = n2.property_key
                where n2.canary_name = n.canary_name and (n2.precedence, n2.property_key) < (n.precedence, n.property_key)
                  and mp2.type not in ('propertyset', 'propertysetlist')) as shadowed
    ) v
   where mp.type not in ('propertyset', 'propertysetlist')
     -- bounds for the index scan: without them a merge join reads metric_properties from the start on every page
     and mp.metric_id > $3 and mp.metric_id <= (select max(metric_id) from picked)
   group by mp.metric_id
)
select p.metric_id::text as metric_id, p.version, p.tag, p.is_transient, p.retired,
       to_char(p.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as changed_at,
       case when $5::boolean or p.confirmed_tag is distinct from p.tag then coalesce(d.props, '{}')
            else coalesce((select jsonb_object_agg(e.key, e.value) from jsonb_each(d.props) e
                            where p.confirmed_properties -> e.key is distinct from e.value), '{}') end::text as properties_json
  from picked p
  left join desired d using (metric_id)
 order by p.metric_id
