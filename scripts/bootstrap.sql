-- Cluster-level bootstrap, run once before the first `sqitch deploy`: by a superuser (scripts/setup.sh), or by a
-- DBA's role with CREATEROLE and CREATEDB and no superuser (docs/deployment.md#database-steps-for-a-dba).
-- Roles and databases belong to the cluster, not to one database, so they live here and not in Sqitch
-- (a Sqitch revert of one database must not drop roles that other databases of the cluster use).
--
-- psql variables expected (scripts/setup.sh sets them on standard input, never on a command line):
--   :pw_uns_meta_admin :pw_uns_meta_app :pw_uns_meta_ro :pw_uns_meta_cdc   login passwords
--   :db                                                                    the database to create
-- A DBA runs it the same way, the passwords on standard input: docs/deployment.md#database-steps-for-a-dba.
\set ON_ERROR_STOP on

select format('create role %I', r)
  from unnest(array['uns_meta_admin', 'uns_meta_app', 'uns_meta_ro', 'uns_meta_cdc']) as r
 where not exists (select 1 from pg_roles where rolname = r)
\gexec

select rolsuper as is_superuser from pg_roles where rolname = current_user \gset
select not rolreplication as cdc_alterable from pg_roles where rolname = 'uns_meta_cdc' \gset
\if :is_superuser
-- uns_meta_admin: owns the schema and runs Sqitch; may create databases (the test suite clones a template).
alter role uns_meta_admin with login nosuperuser createdb nocreaterole noreplication password :'pw_uns_meta_admin';
-- uns_meta_app: the ingestor and the worker. Data read/write only; its grants come from the Sqitch changes.
alter role uns_meta_app with login nosuperuser nocreatedb nocreaterole noreplication password :'pw_uns_meta_app';
-- uns_meta_ro: analysts. Read only.
alter role uns_meta_ro with login nosuperuser nocreatedb nocreaterole noreplication password :'pw_uns_meta_ro';
-- uns_meta_cdc: logical replication of the published tables (slot uns_meta_slot).
alter role uns_meta_cdc with login nosuperuser nocreatedb nocreaterole replication password :'pw_uns_meta_cdc';
\else
-- The same roles made by a DBA without superuser. PostgreSQL 15 lets only superusers name SUPERUSER or REPLICATION
-- (a new role has neither), so those attributes are left out, and REPLICATION for uns_meta_cdc is the one step a
-- superuser must do: `alter role uns_meta_cdc replication` (needed only by a CDC consumer, not by the catalog).
alter role uns_meta_admin with login createdb nocreaterole password :'pw_uns_meta_admin';
alter role uns_meta_app with login nocreatedb nocreaterole password :'pw_uns_meta_app';
alter role uns_meta_ro with login nocreatedb nocreaterole password :'pw_uns_meta_ro';
\if :cdc_alterable
alter role uns_meta_cdc with login nocreatedb nocreaterole password :'pw_uns_meta_cdc';
\echo 'bootstrap: uns_meta_cdc has no REPLICATION yet: a superuser must run  alter role uns_meta_cdc replication;'
\else
\echo 'bootstrap: uns_meta_cdc already has REPLICATION; only a superuser may change it (its password included): left as it is'
\endif
-- The DBA creates the database owned by uns_meta_admin, which PostgreSQL allows to members of that role.
select format('grant uns_meta_admin to %I', current_user) \gexec
\endif

-- The admin may SET ROLE to the service roles (maintenance, and the pgTAP grant tests); it never inherits
-- the replication attribute, which is not inheritable.
grant uns_meta_app, uns_meta_ro, uns_meta_cdc to uns_meta_admin;

-- UTF-8 whatever the cluster's default: names carry accents (Outão, SERVIÇO) and the normaliser needs Unicode.
select format('create database %I owner uns_meta_admin encoding ''UTF8'' lc_collate ''C.UTF-8'' lc_ctype ''C.UTF-8'' template template0', :'db')
 where not exists (select 1 from pg_database where datname = :'db')
\gexec
select format('revoke all on database %I from public', :'db') \gexec
select format('grant connect, temporary on database %I to uns_meta_app, uns_meta_ro, uns_meta_cdc', :'db') \gexec
