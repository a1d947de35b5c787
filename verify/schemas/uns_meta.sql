-- Verify uns_meta:schemas/uns_meta on pg
begin;
select pg_catalog.has_schema_privilege('uns_meta', 'usage');
do $$ begin
  assert has_schema_privilege('uns_meta_app', 'uns_meta', 'usage'), 'uns_meta_app lacks usage on schema uns_meta';
  assert not has_schema_privilege('uns_meta_app', 'uns_meta', 'create'), 'uns_meta_app must not create in schema uns_meta';
end $$;
rollback;
