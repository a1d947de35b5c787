-- Verify uns_meta:functions/ingest_birth on pg
begin;
do $$ begin
  assert has_function_privilege('uns_meta_app', 'uns_meta.ingest_birth(jsonb)', 'execute'), 'uns_meta_app must execute ingest_birth';
  assert not has_function_privilege('uns_meta_ro', 'uns_meta.ingest_birth(jsonb)', 'execute'), 'uns_meta_ro must not execute ingest_birth';
  assert (select prorettype = 'jsonb'::regtype and not prosecdef from pg_proc where oid = 'uns_meta.ingest_birth(jsonb)'::regprocedure),
    'ingest_birth returns jsonb and runs with the caller''s rights';
  assert (select prosrc like '%property_version_json%' and prosrc like '%renamed_to%' from pg_proc
           where oid = 'uns_meta.ingest_birth(jsonb)'::regprocedure),
    'ingest_birth is the v0.5 version (diffs through property_version_json, rename lineage)';
  assert (select prosrc like '%a Canary tag cannot also be a folder%' and prosrc like '%normalises to nothing%' from pg_proc
           where oid = 'uns_meta.ingest_birth(jsonb)'::regprocedure),
    'ingest_birth rejects nested Canary ids and segments that normalise to nothing (issue 14)';
end $$;
rollback;
