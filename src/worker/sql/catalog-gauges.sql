-- The catalog's state for /metrics, read at each scrape: metrics per Canary parity status, the age of the oldest
-- change Canary has not confirmed, open Canary dead letters, and the canary_sync_device jobs past their run_at (the
-- debounce has expired: the worker should have taken them).
select (select coalesce(jsonb_object_agg(status, n), '{}')
          from (select status, count(*) as n from uns_meta.canary_parity group by status) s) as metrics_by_status,
       (select coalesce(extract(epoch from now() - min(updated_at)), 0)::float8
          from uns_meta.canary_parity where status <> 'in_sync') as parity_lag_seconds,
       (select count(*)::int from uns_meta.canary_dead_letters where resolved_at is null) as open_dead_letters,
       (select count(*)::int from graphile_worker.jobs
         where task_identifier = 'canary_sync_device' and run_at <= now()) as jobs_due,
       (select coalesce(extract(epoch from now() - min(run_at)), 0)::float8 from graphile_worker.jobs
         where task_identifier = 'canary_sync_device' and run_at <= now()) as jobs_overdue_seconds
