-- Records what Canary confirmed, one element per metric in parallel arrays: $1 metric_id, $2 version, $3 tag (NULL
-- when nothing was written), $4 outcome, $5 changed_at, and $6 a JSON array of the properties written (objects).
-- Parallel arrays rather than one JSON document: only the property values need a JSON parse (half the bytes).
-- Never moves a metric back to an older version (a late job of an older state). The properties Canary holds for
-- the tag are merged; a new tag starts from what was written to it. Open dead letters of the metric are resolved.
with confirmed as (
  insert into uns_meta.canary_sync_state as s
         (metric_id, confirmed_version, confirmed_at, canary_tag, confirmed_properties, outcome, changed_at)
  select r.metric_id, r.version, now(), r.tag, coalesce(w.sent, '{}'), r.outcome, r.changed_at
    from unnest($1::bigint[], $2::integer[], $3::text[], $4::text[], $5::timestamptz[])
           with ordinality as r(metric_id, version, tag, outcome, changed_at, n)
    join jsonb_array_elements($6::jsonb) with ordinality as w(sent, n) using (n)
  on conflict (metric_id) do update
     set confirmed_version = excluded.confirmed_version,
         confirmed_at = excluded.confirmed_at,
         canary_tag = coalesce(excluded.canary_tag, s.canary_tag),
         confirmed_properties = case
           when excluded.canary_tag is null then s.confirmed_properties
           when s.canary_tag is distinct from excluded.canary_tag then excluded.confirmed_properties
           else s.confirmed_properties || excluded.confirmed_properties end,
         outcome = excluded.outcome,
         changed_at = excluded.changed_at
   where s.confirmed_version <= excluded.confirmed_version
  returning s.metric_id, extract(epoch from clock_timestamp() - s.changed_at) as latency_seconds
), resolved as (
  update uns_meta.canary_dead_letters dl
     set resolved_at = now()
    from confirmed c
   where dl.metric_id = c.metric_id and dl.resolved_at is null
  returning dl.dead_letter_id
)
select c.metric_id::text as metric_id, c.latency_seconds::float8 as latency_seconds,
       (select count(*) from resolved)::integer as resolved
  from confirmed c
