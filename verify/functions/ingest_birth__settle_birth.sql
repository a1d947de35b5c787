-- Verify uns_meta:functions/ingest_birth__settle_birth on pg
begin;
do $$ begin
  assert has_function_privilege('uns_meta_app', 'uns_meta.ingest_birth__settle_birth(bigint, boolean, boolean, boolean, integer, boolean)', 'execute'), 'uns_meta_app (ingest_birth''s caller) must execute ingest_birth__settle_birth';
  assert not has_function_privilege('uns_meta_ro', 'uns_meta.ingest_birth__settle_birth(bigint, boolean, boolean, boolean, integer, boolean)', 'execute'), 'uns_meta_ro must not execute ingest_birth__settle_birth';
  assert (select prosrc like '%enqueue_canary_sync%' and not prosecdef from pg_proc where oid = 'uns_meta.ingest_birth__settle_birth(bigint, boolean, boolean, boolean, integer, boolean)'::regprocedure),
    'ingest_birth__settle_birth is the step helper of ingest_birth, SECURITY INVOKER';
end $$;
rollback;
