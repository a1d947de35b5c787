-- Deploy uns_meta:grants/graphile_worker to pg
-- requires: functions/enqueue_canary_sync
begin;

-- `uns-meta worker` runs graphile-worker as uns_meta_app. The DBA installs the graphile_worker schema
-- (`graphile-worker --schema-only`, scripts/deploy-db.sh) before `sqitch deploy`; the worker only reads the
-- migration list (it finds the schema current and changes nothing) and takes, completes, fails and unlocks jobs.
-- It gets exactly that: no DDL, no right on migrations beyond SELECT. Re-deploy this change (sqitch rework)
-- after a graphile-worker upgrade that adds tables.
grant usage on schema graphile_worker to uns_meta_app;
grant select on graphile_worker.migrations to uns_meta_app;
-- Take, complete, fail and unlock jobs: no INSERT on jobs, so the application still cannot enqueue except through
-- uns_meta.enqueue_canary_sync. Task identifiers are registered by the worker at start-up.
grant select, update, delete on graphile_worker._private_jobs to uns_meta_app;
grant select, update on graphile_worker._private_job_queues to uns_meta_app;
grant select, insert on graphile_worker._private_tasks to uns_meta_app;
grant select on graphile_worker._private_known_crontabs to uns_meta_app;
grant select on graphile_worker.jobs to uns_meta_app;
grant usage, select on all sequences in schema graphile_worker to uns_meta_app;
-- graphile-worker enables row-level security on its private tables (no policy: only the owner sees rows).
create policy uns_meta_app_worker on graphile_worker._private_jobs for all to uns_meta_app using (true) with check (true);
create policy uns_meta_app_worker on graphile_worker._private_job_queues for all to uns_meta_app using (true) with check (true);
create policy uns_meta_app_worker on graphile_worker._private_tasks for all to uns_meta_app using (true) with check (true);
create policy uns_meta_app_worker on graphile_worker._private_known_crontabs for all to uns_meta_app using (true) with check (true);

commit;
