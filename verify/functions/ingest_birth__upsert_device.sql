-- Verify uns_meta:functions/ingest_birth__upsert_device on pg
begin;
do $$ begin
  assert has_function_privilege('uns_meta_app', 'uns_meta.ingest_birth__upsert_device(text, text[], text)', 'execute'), 'uns_meta_app (ingest_birth''s caller) must execute ingest_birth__upsert_device';
  assert not has_function_privilege('uns_meta_ro', 'uns_meta.ingest_birth__upsert_device(text, text[], text)', 'execute'), 'uns_meta_ro must not execute ingest_birth__upsert_device';
  assert (select prosrc like '%device_birth_lock%' and not prosecdef from pg_proc where oid = 'uns_meta.ingest_birth__upsert_device(text, text[], text)'::regprocedure),
    'ingest_birth__upsert_device is the step helper of ingest_birth, SECURITY INVOKER';
  assert has_function_privilege('uns_meta_app', 'uns_meta.device_birth_lock(text, text, text)', 'execute'), 'uns_meta_app must execute device_birth_lock';
end $$;
rollback;
