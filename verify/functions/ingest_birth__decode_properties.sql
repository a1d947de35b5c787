-- Verify uns_meta:functions/ingest_birth__decode_properties on pg
begin;
do $$ begin
  assert has_function_privilege('uns_meta_app', 'uns_meta.ingest_birth__decode_properties(jsonb)', 'execute'), 'uns_meta_app (ingest_birth''s caller) must execute ingest_birth__decode_properties';
  assert not has_function_privilege('uns_meta_ro', 'uns_meta.ingest_birth__decode_properties(jsonb)', 'execute'), 'uns_meta_ro must not execute ingest_birth__decode_properties';
  assert (select prosrc like '%decode_property_value%' and not prosecdef from pg_proc where oid = 'uns_meta.ingest_birth__decode_properties(jsonb)'::regprocedure),
    'ingest_birth__decode_properties is the step helper of ingest_birth, SECURITY INVOKER';
end $$;
rollback;
