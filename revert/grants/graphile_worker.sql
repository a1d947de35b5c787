-- Revert uns_meta:grants/graphile_worker from pg
begin;
drop policy uns_meta_app_worker on graphile_worker._private_jobs;
drop policy uns_meta_app_worker on graphile_worker._private_job_queues;
drop policy uns_meta_app_worker on graphile_worker._private_tasks;
drop policy uns_meta_app_worker on graphile_worker._private_known_crontabs;
revoke all on all sequences in schema graphile_worker from uns_meta_app;
revoke all on all tables in schema graphile_worker from uns_meta_app;
revoke usage on schema graphile_worker from uns_meta_app;
commit;
