-- Jobs locked by this worker pool ($1, graphile-worker's pool id) for longer than $3 seconds that run nowhere in its
-- process ($2: the ids of the jobs it runs, or finished a moment ago): graphile-worker lost their release (the
-- connection died under it, a PostgreSQL restart). Unlocked, so that they run again (src/worker/liveness.ts).
update graphile_worker._private_jobs as jobs
   set locked_by = null, locked_at = null
 where jobs.locked_by = $1::text
   and jobs.locked_at < now() - make_interval(secs => $3)
   and jobs.id <> all ($2::bigint[])
returning jobs.id::text as id
