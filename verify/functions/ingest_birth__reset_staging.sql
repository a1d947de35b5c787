-- Verify uns_meta:functions/ingest_birth__reset_staging on pg
begin;
do $$ begin
  assert has_function_privilege('uns_meta_app', 'uns_meta.ingest_birth__reset_staging(bigint, text, integer)', 'execute'), 'uns_meta_app (ingest_birth''s caller) must execute ingest_birth__reset_staging';
  assert not has_function_privilege('uns_meta_ro', 'uns_meta.ingest_birth__reset_staging(bigint, text, integer)', 'execute'), 'uns_meta_ro must not execute ingest_birth__reset_staging';
  assert (select prosrc like '%this transaction expects chunk%' and not prosecdef from pg_proc where oid = 'uns_meta.ingest_birth__reset_staging(bigint, text, integer)'::regprocedure),
    'ingest_birth__reset_staging is the step helper of ingest_birth, SECURITY INVOKER';
end $$;
rollback;
