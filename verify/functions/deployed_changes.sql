-- Verify uns_meta:functions/deployed_changes on pg
begin;
do $$ begin
  assert has_function_privilege('uns_meta_app', 'uns_meta.deployed_changes()', 'execute'), 'uns_meta_app must execute deployed_changes()';
  assert (select prosecdef and provolatile = 's' from pg_proc where oid = 'uns_meta.deployed_changes()'::regprocedure),
    'deployed_changes() must be SECURITY DEFINER and STABLE';
end $$;
rollback;
