-- Records what Canary confirmed, one element per metric in parallel arrays: $1 metric_id, $2 version, $3 tag (NULL
-- when nothing was written), $4 outcome, $5 changed_at.
-- Never moves a metric back to an older version (a late job of an older state). A `written` or `unchanged` outcome
-- means Canary holds the properties of that version for the tag: written_version; `skipped_transient` and `retired`
-- wrote nothing and keep it. Open dead letters of the metric are resolved.
with confirmed as (
  insert into uns_meta.canary_sync_state as s
         (metric_id, confirmed_version, confirmed_at, canary_tag, written_version, outcome, changed_at)
  select r.metric_id, r.version, now(), r.tag,
         case when r.outcome in ('written', 'unchanged') then r.version end, r.outcome, r.changed_at
    from unnest($1::bigint[], $2::integer[], $3::text[], $4::text[], $5::timestamptz[])
           as r(metric_id, version, tag, outcome, changed_at)
  on conflict (metric_id) do update
     set confirmed_version = excluded.confirmed_version,
         confirmed_at = excluded.confirmed_at,
         canary_tag = coalesce(excluded.canary_tag, s.canary_tag),
         written_version = coalesce(excluded.written_version, s.written_version),
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
