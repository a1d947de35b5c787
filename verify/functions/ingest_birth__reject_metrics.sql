-- Verify uns_meta:functions/ingest_birth__reject_metrics on pg
begin;
do $$ begin
  assert has_function_privilege('uns_meta_app', 'uns_meta.ingest_birth__reject_metrics(bigint, integer, text, timestamptz)', 'execute'), 'uns_meta_app (ingest_birth''s caller) must execute ingest_birth__reject_metrics';
  assert not has_function_privilege('uns_meta_ro', 'uns_meta.ingest_birth__reject_metrics(bigint, integer, text, timestamptz)', 'execute'), 'uns_meta_ro must not execute ingest_birth__reject_metrics';
  assert (select prosrc like '%a Canary tag cannot also be a folder%' and not prosecdef from pg_proc where oid = 'uns_meta.ingest_birth__reject_metrics(bigint, integer, text, timestamptz)'::regprocedure),
    'ingest_birth__reject_metrics is the step helper of ingest_birth, SECURITY INVOKER';
end $$;
rollback;
