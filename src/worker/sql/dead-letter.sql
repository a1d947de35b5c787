-- Dead-letters undelivered changes: $1 is a JSON array of {metric_id, version, tag, properties, error}, $2 the
-- job's attempts. A metric keeps at most one open dead letter (its latest failure).
with incoming as (
  select r.metric_id, r.version, r.tag, r.properties, r.error
    from jsonb_to_recordset($1::jsonb) as r(metric_id bigint, version integer, tag text, properties jsonb, error text)
), closed as (
  update uns_meta.canary_dead_letters dl
     set resolved_at = now()
    from incoming i
   where dl.metric_id = i.metric_id and dl.resolved_at is null
  returning dl.dead_letter_id
)
insert into uns_meta.canary_dead_letters (metric_id, version, canary_tag, properties, error, attempts)
select i.metric_id, i.version, i.tag, i.properties, left(i.error, 2000), $2
  from incoming i
