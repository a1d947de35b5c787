-- Cluster-level bootstrap, run once by a superuser before the first `sqitch deploy`.
-- Roles and databases belong to the cluster, not to one database, so they live here and not in Sqitch
-- (a Sqitch revert of one database must not drop roles that other databases of the cluster use).
--
-- psql variables expected (scripts/setup.sh sets them on standard input, never on a command line):
--   :pw_uns_meta_admin :pw_uns_meta_app :pw_uns_meta_ro :pw_uns_meta_cdc   login passwords
--   :db                                                                    the database to create
-- A DBA can run it by hand the same way:
--   psql -v pw_uns_meta_admin=... -v db=uns_meta -f scripts/bootstrap.sql
\set ON_ERROR_STOP on

select format('create role %I', r)
  from unnest(array['uns_meta_admin', 'uns_meta_app', 'uns_meta_ro', 'uns_meta_cdc']) as r
 where not exists (select 1 from pg_roles where rolname = r)
\gexec

-- uns_meta_admin: owns the schema and runs Sqitch; may create databases (the test suite clones a template).
alter role uns_meta_admin with login nosuperuser createdb nocreaterole noreplication password :'pw_uns_meta_admin';
-- uns_meta_app: the ingestor and the worker. Data read/write only; its grants come from the Sqitch changes.
alter role uns_meta_app with login nosuperuser nocreatedb nocreaterole noreplication password :'pw_uns_meta_app';
-- uns_meta_ro: analysts. Read only.
alter role uns_meta_ro with login nosuperuser nocreatedb nocreaterole noreplication password :'pw_uns_meta_ro';
-- uns_meta_cdc: logical replication of the published tables (slot uns_meta_slot).
alter role uns_meta_cdc with login nosuperuser nocreatedb nocreaterole replication password :'pw_uns_meta_cdc';

-- The admin may SET ROLE to the service roles (maintenance, and the pgTAP grant tests); it never inherits
-- the replication attribute, which is not inheritable.
grant uns_meta_app, uns_meta_ro, uns_meta_cdc to uns_meta_admin;

-- UTF-8 whatever the cluster's default: names carry accents (Outão, SERVIÇO) and the normaliser needs Unicode.
select format('create database %I owner uns_meta_admin encoding ''UTF8'' lc_collate ''C.UTF-8'' lc_ctype ''C.UTF-8'' template template0', :'db')
 where not exists (select 1 from pg_database where datname = :'db')
\gexec
select format('revoke all on database %I from public', :'db') \gexec
select format('grant connect, temporary on database %I to uns_meta_app, uns_meta_ro, uns_meta_cdc', :'db') \gexec
