-- Verify uns_meta:functions/ingest_birth on pg
begin;
do $$ begin
  assert has_function_privilege('uns_meta_app', 'uns_meta.ingest_birth(jsonb)', 'execute'), 'uns_meta_app must execute ingest_birth';
  assert not has_function_privilege('uns_meta_ro', 'uns_meta.ingest_birth(jsonb)', 'execute'), 'uns_meta_ro must not execute ingest_birth';
  assert (select prorettype = 'jsonb'::regtype and not prosecdef from pg_proc where oid = 'uns_meta.ingest_birth(jsonb)'::regprocedure),
    'ingest_birth returns jsonb and runs with the caller''s rights';
  assert (select prosrc like '%ingest_birth__read_envelope%' and prosrc like '%ingest_birth__retire_missing%'
                 and prosrc like '%ingest_birth__store_fingerprint%' and prosrc not like '%insert into%'
            from pg_proc where oid = 'uns_meta.ingest_birth(jsonb)'::regprocedure),
    'ingest_birth is the orchestrator of its step helpers (functions/ingest_birth__*) and writes nothing itself';
end $$;
rollback;
