-- The next page of metrics to sync, in metric_id order after $3, with the Canary properties to send.
-- $1 device_id (NULL = any), $2 UNS path prefix (NULL = any), $3 metric_id to start after, $4 page size,
-- $5 force: every selected metric, every property (resync / replay); otherwise only metrics whose version
--    differs from the version Canary confirmed, and only properties Canary does not hold with that value,
-- $6 dataset override (NULL = the first segment of canary_id, the Sparkplug group), $7 metric_ids (NULL = any).
-- `properties` maps Canary property names (through uns_meta.canary_property_names) to typed JSON values;
-- nested-set markers carry no value and are not sent.
with picked as (
  select m.metric_id, m.version, m.canary_id, m.is_transient, m.retired_at is not null as retired, m.updated_at,
         s.canary_tag as confirmed_tag, coalesce(s.confirmed_properties, '{}') as confirmed_properties,
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
)
select p.metric_id::text as metric_id, p.version, p.tag, p.is_transient, p.retired,
       to_char(p.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as changed_at,
       coalesce((select jsonb_object_agg(d.key, d.value)
                   from jsonb_each(desired.props) d
                  where $5::boolean or p.confirmed_tag is distinct from p.tag
                     or p.confirmed_properties -> d.key is distinct from d.value), '{}') as properties
  from picked p
  cross join lateral (
    select coalesce(jsonb_object_agg(coalesce(n.canary_name, mp.key),
                                     coalesce(uns_meta.property_json(mp.spb_type, mp.is_null, mp.type, mp.value_int, mp.value_long,
                                                                     mp.value_uint64, mp.value_float, mp.value_double,
                                                                     mp.value_string, mp.value_bool, mp.value_datetime) -> 'value',
                                              'null'::jsonb)
                                     order by coalesce(n.precedence, 100) desc, mp.key desc), '{}') as props
      from uns_meta.metric_properties mp
      left join uns_meta.canary_property_names n on n.property_key = mp.key
     where mp.metric_id = p.metric_id
       and mp.type not in ('propertyset', 'propertysetlist')
  ) desired
 order by p.metric_id
