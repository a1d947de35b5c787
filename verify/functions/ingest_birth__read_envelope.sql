-- Verify uns_meta:functions/ingest_birth__read_envelope on pg
begin;
do $$ begin
  assert has_function_privilege('uns_meta_app', 'uns_meta.ingest_birth__read_envelope(jsonb)', 'execute'), 'uns_meta_app (ingest_birth''s caller) must execute ingest_birth__read_envelope';
  assert not has_function_privilege('uns_meta_ro', 'uns_meta.ingest_birth__read_envelope(jsonb)', 'execute'), 'uns_meta_ro must not execute ingest_birth__read_envelope';
  assert (select prosrc like '%only DBIRTH is ingested%' and not prosecdef from pg_proc where oid = 'uns_meta.ingest_birth__read_envelope(jsonb)'::regprocedure),
    'ingest_birth__read_envelope is the step helper of ingest_birth, SECURITY INVOKER';
end $$;
rollback;
