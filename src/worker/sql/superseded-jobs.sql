-- canary_sync_device jobs superseded while they were locked (key cleared, attempts spent by graphile-worker's
-- add_jobs) that nothing runs any more: a worker that died holding one, or a release lost. graphile-worker would
-- keep them for ever as failed; the device's newer job carries their changes (src/worker/superseded.ts). Removed.
delete from graphile_worker._private_jobs as j
 using graphile_worker._private_tasks as t
 where t.id = j.task_id
   and t.identifier = 'canary_sync_device'
   and j.key is null
   and j.locked_at is null
   and j.attempts >= j.max_attempts
returning j.id::text as id
