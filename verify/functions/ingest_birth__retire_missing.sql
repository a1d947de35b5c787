-- Verify uns_meta:functions/ingest_birth__retire_missing on pg
begin;
do $$ begin
  assert has_function_privilege('uns_meta_app', 'uns_meta.ingest_birth__retire_missing(bigint, text, integer, timestamptz, text)', 'execute'), 'uns_meta_app (ingest_birth''s caller) must execute ingest_birth__retire_missing';
  assert not has_function_privilege('uns_meta_ro', 'uns_meta.ingest_birth__retire_missing(bigint, text, integer, timestamptz, text)', 'execute'), 'uns_meta_ro must not execute ingest_birth__retire_missing';
  assert (select prosrc like '%renamed_to%' and not prosecdef from pg_proc where oid = 'uns_meta.ingest_birth__retire_missing(bigint, text, integer, timestamptz, text)'::regprocedure),
    'ingest_birth__retire_missing is the step helper of ingest_birth, SECURITY INVOKER';
end $$;
rollback;
