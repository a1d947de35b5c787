-- Verify uns_meta:functions/enqueue_canary_sync on pg
begin;
do $$ begin
  assert (select prosecdef from pg_proc where oid = 'uns_meta.enqueue_canary_sync(bigint[])'::regprocedure),
    'enqueue_canary_sync must be SECURITY DEFINER';
  assert has_function_privilege('uns_meta_app', 'uns_meta.enqueue_canary_sync(bigint[])', 'execute'),
    'uns_meta_app must be able to enqueue';
end $$;
rollback;
