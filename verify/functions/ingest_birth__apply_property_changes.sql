-- Verify uns_meta:functions/ingest_birth__apply_property_changes on pg
begin;
do $$ begin
  assert has_function_privilege('uns_meta_app', 'uns_meta.ingest_birth__apply_property_changes()', 'execute'), 'uns_meta_app (ingest_birth''s caller) must execute ingest_birth__apply_property_changes';
  assert not has_function_privilege('uns_meta_ro', 'uns_meta.ingest_birth__apply_property_changes()', 'execute'), 'uns_meta_ro must not execute ingest_birth__apply_property_changes';
  assert (select prosrc like '%property_version_json%' and not prosecdef from pg_proc where oid = 'uns_meta.ingest_birth__apply_property_changes()'::regprocedure),
    'ingest_birth__apply_property_changes is the step helper of ingest_birth, SECURITY INVOKER';
end $$;
rollback;
