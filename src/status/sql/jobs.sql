-- uns-meta status: graphile-worker's queue. waiting = not locked and attempts left; due = waiting whose run_at has
-- passed; failed = no attempts left (a job graphile-worker gave up on).
select count(*) filter (where locked_at is null and attempts < max_attempts)::int as waiting,
       count(*) filter (where locked_at is null and attempts < max_attempts and run_at <= now())::int as due,
       count(*) filter (where locked_at is not null)::int as running,
       count(*) filter (where attempts >= max_attempts)::int as failed,
       coalesce(extract(epoch from now() - min(created_at) filter (where locked_at is null and attempts < max_attempts)), 0)::float8 as oldest_waiting_seconds,
       coalesce(extract(epoch from now() - min(run_at) filter (where locked_at is null and attempts < max_attempts and run_at <= now())), 0)::float8 as overdue_seconds
  from graphile_worker.jobs
