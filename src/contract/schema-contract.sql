-- The contract of the uns_meta schema, read from the live catalog: tables (with columns, constraints, indexes,
-- triggers), views (columns), types, functions and grants. Function bodies and view queries are left out: the
-- contract is what callers and readers rely on. Every list is ordered, so the same schema gives the same JSON.
with ns as (select oid from pg_namespace where nspname = 'uns_meta'),
acl as (
  -- grants of an object, one 'grantee: privilege[, privilege]' string per grantee, owner included
  select c.objid, c.classid,
         jsonb_object_agg(c.grantee, c.privileges order by c.grantee) as grants
    from (select a.objid, a.classid,
                 case when x.grantee = 0 then 'PUBLIC' else pg_get_userbyid(x.grantee) end as grantee,
                 string_agg(x.privilege_type || case when x.is_grantable then ' WITH GRANT OPTION' else '' end, ', '
                            order by x.privilege_type) as privileges
            from (select oid as objid, 'pg_class'::regclass as classid, coalesce(relacl, acldefault((case when relkind = 'S' then 's' else 'r' end)::"char", relowner)) as acl
                    from pg_class where relnamespace = (select oid from ns)
                  union all
                  select oid, 'pg_proc'::regclass, coalesce(proacl, acldefault('f'::"char", proowner)) from pg_proc where pronamespace = (select oid from ns)
                  union all
                  select oid, 'pg_type'::regclass, coalesce(typacl, acldefault('T'::"char", typowner)) from pg_type
                   where typnamespace = (select oid from ns) and typtype in ('e', 'd', 'c') and typrelid = 0
                  union all
                  select oid, 'pg_namespace'::regclass, coalesce(nspacl, acldefault('n'::"char", nspowner)) from pg_namespace where oid = (select oid from ns)) as a
           cross join lateral aclexplode(a.acl) as x
           group by a.objid, a.classid, x.grantee) as c
   group by c.objid, c.classid
),
cols as (
  select a.attrelid,
         jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
           'name', a.attname,
           'type', format_type(a.atttypid, a.atttypmod),
           'not_null', a.attnotnull,
           'default', case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end,
           'generated', case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) end,
           'identity', case a.attidentity when 'a' then 'always' when 'd' then 'by default' end))
           order by a.attnum) as columns
    from pg_attribute a
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
   where a.attnum > 0 and not a.attisdropped
   group by a.attrelid
)
select jsonb_build_object(
  'schema', jsonb_build_object(
    'name', 'uns_meta',
    'owner', (select pg_get_userbyid(nspowner) from pg_namespace where oid = (select oid from ns)),
    'grants', (select grants from acl where classid = 'pg_namespace'::regclass and objid = (select oid from ns))),
  'tables', (
    select jsonb_object_agg(c.relname, jsonb_strip_nulls(jsonb_build_object(
             'owner', pg_get_userbyid(c.relowner),
             'row_level_security', case when c.relrowsecurity then true end,
             'columns', cols.columns,
             'constraints', (select jsonb_object_agg(k.conname, pg_get_constraintdef(k.oid)) from pg_constraint k where k.conrelid = c.oid),
             'indexes', (select jsonb_object_agg(i.relname, pg_get_indexdef(i.oid))
                           from pg_index x join pg_class i on i.oid = x.indexrelid where x.indrelid = c.oid),
             'triggers', (select jsonb_object_agg(t.tgname, pg_get_triggerdef(t.oid)) from pg_trigger t where t.tgrelid = c.oid and not t.tgisinternal),
             'grants', acl.grants)) order by c.relname)
      from pg_class c
      join cols on cols.attrelid = c.oid
      left join acl on acl.classid = 'pg_class'::regclass and acl.objid = c.oid
     where c.relnamespace = (select oid from ns) and c.relkind in ('r', 'p')),
  'views', (
    select jsonb_object_agg(c.relname, jsonb_strip_nulls(jsonb_build_object(
             'owner', pg_get_userbyid(c.relowner),
             'columns', cols.columns,
             'grants', acl.grants)) order by c.relname)
      from pg_class c
      join cols on cols.attrelid = c.oid
      left join acl on acl.classid = 'pg_class'::regclass and acl.objid = c.oid
     where c.relnamespace = (select oid from ns) and c.relkind in ('v', 'm')),
  'types', (
    select jsonb_object_agg(t.typname, jsonb_strip_nulls(jsonb_build_object(
             'kind', case t.typtype when 'e' then 'enum' when 'd' then 'domain' when 'c' then 'composite' end,
             'values', case when t.typtype = 'e' then (select jsonb_agg(e.enumlabel order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid) end,
             'base', case when t.typtype = 'd' then format_type(t.typbasetype, t.typtypmod) end,
             'grants', acl.grants)) order by t.typname)
      from pg_type t
      left join acl on acl.classid = 'pg_type'::regclass and acl.objid = t.oid
     where t.typnamespace = (select oid from ns) and t.typtype in ('e', 'd', 'c') and t.typrelid = 0),
  'functions', (
    select jsonb_object_agg(p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', jsonb_strip_nulls(jsonb_build_object(
             'kind', case p.prokind when 'f' then 'function' when 'p' then 'procedure' when 'a' then 'aggregate' when 'w' then 'window' end,
             'arguments', pg_get_function_arguments(p.oid),
             'returns', pg_get_function_result(p.oid),
             'language', l.lanname,
             'volatility', case p.provolatile when 'i' then 'immutable' when 's' then 'stable' else 'volatile' end,
             'strict', p.proisstrict,
             'security', case when p.prosecdef then 'definer' else 'invoker' end,
             'parallel', case p.proparallel when 's' then 'safe' when 'r' then 'restricted' else 'unsafe' end,
             'settings', to_jsonb(p.proconfig),
             'owner', pg_get_userbyid(p.proowner),
             'grants', acl.grants)) order by p.proname, pg_get_function_identity_arguments(p.oid))
      from pg_proc p
      join pg_language l on l.oid = p.prolang
      left join acl on acl.classid = 'pg_proc'::regclass and acl.objid = p.oid
     where p.pronamespace = (select oid from ns)),
  'sequences', (
    select jsonb_object_agg(c.relname, jsonb_strip_nulls(jsonb_build_object('owner', pg_get_userbyid(c.relowner), 'grants', acl.grants)) order by c.relname)
      from pg_class c
      left join acl on acl.classid = 'pg_class'::regclass and acl.objid = c.oid
     where c.relnamespace = (select oid from ns) and c.relkind = 'S')
) as contract
