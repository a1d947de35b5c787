-- pgTAP: what uns_meta_app may do in graphile_worker: run jobs (take, complete, fail, unlock), never enqueue
-- directly (only through uns_meta.enqueue_canary_sync) and never change the schema.
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
select plan(7);

select ok(has_schema_privilege('uns_meta_app', 'graphile_worker', 'usage'), 'uns_meta_app uses the schema');
select ok(not has_schema_privilege('uns_meta_app', 'graphile_worker', 'create'), 'uns_meta_app cannot create objects in it');
select table_privs_are('graphile_worker', '_private_jobs', 'uns_meta_app', array['DELETE', 'SELECT', 'UPDATE'], 'jobs: take, complete, fail; no INSERT');
select table_privs_are('graphile_worker', '_private_tasks', 'uns_meta_app', array['INSERT', 'SELECT'], 'tasks: register the task list');
select table_privs_are('graphile_worker', 'migrations', 'uns_meta_app', array['SELECT'], 'migrations: read only');
select is((select count(*)::int from pg_policies where schemaname = 'graphile_worker' and policyname = 'uns_meta_app_worker'), 4,
          'a row-level-security policy for uns_meta_app on each private table');
set local role uns_meta_app;
select throws_ok($$select graphile_worker.add_job('canary_sync_device', '{}')$$, '42501', null, 'uns_meta_app still cannot enqueue directly');
reset role;

select * from finish();
rollback;
