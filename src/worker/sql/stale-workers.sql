-- graphile-worker pool ids that lock jobs but belong to no live uns-meta worker process: each live worker pool
-- keeps a connection whose application_name is 'uns-meta-worker <pool id>' (src/worker/liveness.ts).
-- Only locks older than $1 seconds count, so a worker that is starting up is not mistaken for a dead one; the
-- asking worker's own pool ($2, null before it has one) is alive whatever its session's state.
select distinct j.locked_by
  from graphile_worker._private_jobs j
 where j.locked_by is not null
   and j.locked_at < now() - make_interval(secs => $1)
   and j.locked_by is distinct from $2::text
   and not exists (select 1 from pg_stat_activity a where a.application_name = 'uns-meta-worker ' || j.locked_by)
