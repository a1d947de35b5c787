-- Records what Canary confirmed: $1 is a JSON array of
-- {metric_id, version, tag (NULL when nothing was written), sent (the properties written), outcome, changed_at}.
-- Never moves a metric back to an older version (a late job of an older state). The properties Canary holds for
-- the tag are merged; a new tag starts from what was written to it. Open dead letters of the metric are resolved.
with confirmed as (
  insert into uns_meta.canary_sync_state as s
         (metric_id, confirmed_version, confirmed_at, canary_tag, confirmed_properties, outcome, changed_at)
  select r.metric_id, r.version, now(), r.tag, coalesce(r.sent, '{}'), r.outcome, r.changed_at
    from jsonb_to_recordset($1::jsonb) as r(metric_id bigint, version integer, tag text, sent jsonb, outcome text,
                                           changed_at timestamptz)
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
