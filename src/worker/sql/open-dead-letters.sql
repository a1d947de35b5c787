-- Metric ids with open dead letters, optionally of one device ($1) or under a UNS path prefix ($2).
select distinct dl.metric_id::text as metric_id
  from uns_meta.canary_dead_letters dl
  join uns_meta.metrics m using (metric_id)
 where dl.resolved_at is null
   and ($1::bigint is null or m.device_id = $1)
   and ($2::text is null or m.uns_path = $2 or starts_with(m.uns_path, $2 || '/'))
 order by 1
