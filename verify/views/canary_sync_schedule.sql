-- Verify uns_meta:views/canary_sync_schedule on pg
begin;
select device_id, uns_path, status, due_at, running_since, attempts, max_attempts, queued_at
  from uns_meta.canary_sync_schedule where false;
do $$ begin
  assert (select prosecdef from pg_proc where oid = 'uns_meta.canary_sync_jobs()'::regprocedure),
    'canary_sync_jobs reads graphile_worker with its owner''s rights (SECURITY DEFINER)';
  assert not has_schema_privilege('uns_meta_ro', 'graphile_worker', 'usage'), 'uns_meta_ro has no right on graphile_worker';
end $$;
rollback;
