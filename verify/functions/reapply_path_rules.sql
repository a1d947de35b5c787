-- Verify uns_meta:functions/reapply_path_rules on pg
begin;
select pg_catalog.pg_get_functiondef('uns_meta.reapply_path_rules(boolean)'::regprocedure);
select uns_meta.metric_base_path('G/E/D', 'a/b'), uns_meta.explain_path_rewrite('G/E/D/a/b');
do $$ begin
  assert not has_function_privilege('uns_meta_app', 'uns_meta.reapply_path_rules(boolean)', 'execute'),
    'reapply_path_rules is for DBAs only';
  assert (select prosrc not like '%enqueue_canary_sync%' from pg_proc where oid = 'uns_meta.reapply_path_rules(boolean)'::regprocedure),
    'reapply_path_rules leaves the enqueue to the metrics trigger (triggers/catalog_changes)';
end $$;
rollback;
