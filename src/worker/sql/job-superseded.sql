-- Has a birth queued a newer sync job of the device while this job ($1) ran? graphile-worker's add_jobs then clears
-- the running job's key and spends its attempts (src/worker/superseded.ts). False when the job is gone.
select coalesce((select j.key is null from graphile_worker._private_jobs j where j.id = $1::bigint), false) as superseded
