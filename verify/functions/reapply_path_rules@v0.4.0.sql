-- Verify uns_meta:functions/reapply_path_rules on pg
begin;
select pg_catalog.pg_get_functiondef('uns_meta.reapply_path_rules(boolean)'::regprocedure);
do $$ begin
  assert not has_function_privilege('uns_meta_app', 'uns_meta.reapply_path_rules(boolean)', 'execute'),
    'reapply_path_rules is for DBAs only';
end $$;
rollback;
