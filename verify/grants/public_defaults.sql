-- Verify uns_meta:grants/public_defaults on pg: no function or type of uns_meta grants PUBLIC anything.
begin;
select 1 / (count(*) = 0)::int from pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
 where p.pronamespace = 'uns_meta'::regnamespace and a.grantee = 0;
select 1 / (count(*) = 0)::int from pg_type t, aclexplode(coalesce(t.typacl, acldefault('T', t.typowner))) a
 where t.typnamespace = 'uns_meta'::regnamespace and t.typelem = 0 and t.typrelid = 0 and a.grantee = 0;
rollback;
