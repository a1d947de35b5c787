-- Verify uns_meta:functions/birth_is_current on pg
begin;
do $$ begin
  assert uns_meta.birth_is_current('spBv1.0/no/DBIRTH/such/device', '\x00') = false, 'birth_is_current of an unknown device';
  assert has_function_privilege('uns_meta_app', 'uns_meta.birth_is_current(text, bytea)', 'execute'), 'uns_meta_app executes birth_is_current';
end $$;
rollback;
