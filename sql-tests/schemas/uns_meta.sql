-- pgTAP: schema uns_meta exists, is closed to PUBLIC, and only uns_meta_admin may change its structure.
-- Also schema-wide guarantees that hold for every object in it, present and future.
begin;
select plan(27);

select has_schema('uns_meta');
select schema_owner_is('uns_meta', 'uns_meta_admin');
select isnt(obj_description('uns_meta'::regnamespace, 'pg_namespace'), null, 'schema uns_meta has a comment');
select schema_privs_are('uns_meta', 'public', array[]::text[], 'PUBLIC has no privilege on schema uns_meta');
select schema_privs_are('uns_meta', 'uns_meta_app', array['USAGE'], 'uns_meta_app may use schema uns_meta but not create in it');
select schema_privs_are('uns_meta', 'uns_meta_ro', array['USAGE'], 'uns_meta_ro may use schema uns_meta');
select schema_privs_are('uns_meta', 'uns_meta_cdc', array['USAGE'], 'uns_meta_cdc may use schema uns_meta');
select schema_privs_are('uns_meta', 'uns_meta_admin', array['CREATE', 'USAGE'], 'uns_meta_admin (owner) may create in schema uns_meta');

-- No DDL for the service roles, by SET ROLE.
set local role uns_meta_app;
select throws_ok('create table uns_meta.x (i int)', '42501', 'permission denied for schema uns_meta', 'uns_meta_app cannot create a table in uns_meta');
select throws_ok('create function uns_meta.f() returns int language sql return 1', '42501', 'permission denied for schema uns_meta',
                 'uns_meta_app cannot create a function in uns_meta');
select throws_ok('create view uns_meta.v as select 1 as one', '42501', 'permission denied for schema uns_meta', 'uns_meta_app cannot create a view in uns_meta');
select throws_ok('create table public.x (i int)', '42501', 'permission denied for schema public', 'uns_meta_app cannot create a table in schema public either');
select throws_ok('create schema app_owned', '42501', 'permission denied for database ' || current_database(), 'uns_meta_app cannot create a schema');
select throws_ok('drop table uns_meta.devices cascade', '42501', 'must be owner of table devices', 'uns_meta_app cannot drop a table');
select throws_ok('alter table uns_meta.metrics disable trigger _100_timestamps', '42501', 'must be owner of table metrics',
                 'uns_meta_app cannot disable a trigger');
reset role;
set local role uns_meta_ro;
select throws_ok('create table uns_meta.x (i int)', '42501', 'permission denied for schema uns_meta', 'uns_meta_ro cannot create a table in uns_meta');
select throws_ok('create table public.x (i int)', '42501', 'permission denied for schema public', 'uns_meta_ro cannot create a table in schema public');
reset role;
set local role uns_meta_cdc;
select throws_ok('create table uns_meta.x (i int)', '42501', 'permission denied for schema uns_meta', 'uns_meta_cdc cannot create a table in uns_meta');
reset role;
select lives_ok('create table uns_meta.admin_scratch (i int)', 'uns_meta_admin can create a table in uns_meta (rolled back)');

-- Guarantees over every object of the schema.
select is((select array_agg(c.relname::text order by c.relname) from pg_class c
            where c.relnamespace = 'uns_meta'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
              and c.relname <> 'admin_scratch' and c.relowner <> 'uns_meta_admin'::regrole),
          null, 'every relation in uns_meta is owned by uns_meta_admin');
select is((select array_agg(c.relname::text order by c.relname) from pg_class c
            where c.relnamespace = 'uns_meta'::regnamespace and c.relkind in ('r', 'p', 'v', 'm') and c.relname <> 'admin_scratch'
              and coalesce(obj_description(c.oid, 'pg_class'), '') = ''),
          null, 'every table and view in uns_meta has a comment');
select is((select array_agg(c.relname || '.' || a.attname order by c.relname, a.attnum) from pg_class c
             join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            where c.relnamespace = 'uns_meta'::regnamespace and c.relkind in ('r', 'p', 'v', 'm') and c.relname <> 'admin_scratch'
              and coalesce(col_description(c.oid, a.attnum), '') = ''),
          null, 'every column of every table and view in uns_meta has a comment');
select is((select array_agg(c.relname::text order by c.relname) from pg_class c
            where c.relnamespace = 'uns_meta'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S')
              and exists (select 1 from aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a where a.grantee = 0)),
          null, 'no relation in uns_meta grants anything to PUBLIC');
select is((select array_agg(conrelid::regclass::text || ' ' || conname order by conname) from pg_constraint fk
            where fk.contype = 'f' and fk.connamespace = 'uns_meta'::regnamespace
              and not exists (select 1 from pg_index i
                               where i.indrelid = fk.conrelid
                                 and (i.indkey::int2[])[0:cardinality(fk.conkey) - 1] @> fk.conkey
                                 and (i.indkey::int2[])[0:cardinality(fk.conkey) - 1] <@ fk.conkey)),
          null, 'every foreign key in uns_meta leads an index (ON DELETE CASCADE and RI checks need no sequential scan)');
select is((select array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text) from pg_proc p
            where p.pronamespace = 'uns_meta'::regnamespace and p.prosecdef
              and not exists (select 1 from unnest(p.proconfig) cfg where cfg like 'search_path=%')),
          null, 'every SECURITY DEFINER function in uns_meta pins its search_path');
select is((select array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text) from pg_proc p
            where p.pronamespace = 'uns_meta'::regnamespace and p.proowner <> 'uns_meta_admin'::regrole),
          null, 'every function in uns_meta is owned by uns_meta_admin');
select is((select array_agg(t.tgrelid::regclass::text || ' ' || t.tgname order by 1) from pg_trigger t
             join pg_class c on c.oid = t.tgrelid
            where c.relnamespace = 'uns_meta'::regnamespace and not t.tgisinternal and t.tgenabled <> 'O'),
          null, 'every trigger in uns_meta is enabled');

select * from finish();
rollback;
