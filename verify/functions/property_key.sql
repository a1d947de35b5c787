-- Verify uns_meta:functions/property_key on pg
begin;
do $$ begin
  assert uns_meta.property_key(array['alarms', '0', 'a/b~c']) = 'alarms/0/a~1b~0c', 'property_key escaping is wrong';
end $$;
rollback;
