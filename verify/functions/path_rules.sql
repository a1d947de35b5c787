-- Verify uns_meta:functions/path_rules on pg
begin;
do $$ begin
  assert uns_meta.normalise_segment('  400 -- Clinker   Production  ') = '400 - Clinker Production', 'normalise_segment default rules';
  assert uns_meta.metric_uns_path('Secil/Portugal/Cement', 'Outão/a//b#c') = 'Secil/Portugal/Cement/Outão/a/b_c', 'metric_uns_path';
  assert uns_meta.rewrite_path('x/y') is not null, 'rewrite_path';
  assert length(uns_meta.path_rules_version()) = 32, 'path_rules_version';
end $$;
select pg_catalog.pg_get_functiondef('uns_meta.compile_path_rules()'::regprocedure);
rollback;
