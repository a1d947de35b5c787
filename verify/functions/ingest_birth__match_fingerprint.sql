-- Verify uns_meta:functions/ingest_birth__match_fingerprint on pg
begin;
do $$ begin
  assert has_function_privilege('uns_meta_app', 'uns_meta.ingest_birth__match_fingerprint(bigint, jsonb, integer, boolean, boolean, bytea)', 'execute'), 'uns_meta_app (ingest_birth''s caller) must execute ingest_birth__match_fingerprint';
  assert not has_function_privilege('uns_meta_ro', 'uns_meta.ingest_birth__match_fingerprint(bigint, jsonb, integer, boolean, boolean, bytea)', 'execute'), 'uns_meta_ro must not execute ingest_birth__match_fingerprint';
  assert (select prosrc like '%birth_fingerprints%' and not prosecdef from pg_proc where oid = 'uns_meta.ingest_birth__match_fingerprint(bigint, jsonb, integer, boolean, boolean, bytea)'::regprocedure),
    'ingest_birth__match_fingerprint is the step helper of ingest_birth, SECURITY INVOKER';
end $$;
rollback;
