-- Verify uns_meta:grants/graphile_worker on pg
begin;
do $$ begin
  assert has_schema_privilege('uns_meta_app', 'graphile_worker', 'usage'), 'uns_meta_app lacks USAGE on graphile_worker';
  assert has_table_privilege('uns_meta_app', 'graphile_worker._private_jobs', 'update'), 'uns_meta_app cannot take jobs';
end $$;
rollback;
