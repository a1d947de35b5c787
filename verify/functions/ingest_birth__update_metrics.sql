-- Verify uns_meta:functions/ingest_birth__update_metrics on pg
begin;
do $$ begin
  assert has_function_privilege('uns_meta_app', 'uns_meta.ingest_birth__update_metrics(text, integer)', 'execute'), 'uns_meta_app (ingest_birth''s caller) must execute ingest_birth__update_metrics';
  assert not has_function_privilege('uns_meta_ro', 'uns_meta.ingest_birth__update_metrics(text, integer)', 'execute'), 'uns_meta_ro must not execute ingest_birth__update_metrics';
  assert (select prosrc like '%''revived''%' and not prosecdef from pg_proc where oid = 'uns_meta.ingest_birth__update_metrics(text, integer)'::regprocedure),
    'ingest_birth__update_metrics is the step helper of ingest_birth, SECURITY INVOKER';
end $$;
rollback;
