-- Verify uns_meta:functions/ingest_birth__stage_metrics on pg
begin;
do $$ begin
  assert has_function_privilege('uns_meta_app', 'uns_meta.ingest_birth__stage_metrics(jsonb, bigint, text, boolean, boolean)', 'execute'), 'uns_meta_app (ingest_birth''s caller) must execute ingest_birth__stage_metrics';
  assert not has_function_privilege('uns_meta_ro', 'uns_meta.ingest_birth__stage_metrics(jsonb, bigint, text, boolean, boolean)', 'execute'), 'uns_meta_ro must not execute ingest_birth__stage_metrics';
  assert (select prosrc like '%normalises to nothing%' and not prosecdef from pg_proc where oid = 'uns_meta.ingest_birth__stage_metrics(jsonb, bigint, text, boolean, boolean)'::regprocedure),
    'ingest_birth__stage_metrics is the step helper of ingest_birth, SECURITY INVOKER';
  assert has_function_privilege('uns_meta_app', 'uns_meta.ingest_birth__probes_catalog(bigint)', 'execute'), 'uns_meta_app (ingest_birth''s caller) must execute ingest_birth__probes_catalog';
  assert (select provolatile = 's' and not prosecdef from pg_proc where oid = 'uns_meta.ingest_birth__probes_catalog(bigint)'::regprocedure),
    'ingest_birth__probes_catalog is stable, SECURITY INVOKER';
end $$;
rollback;
