-- Cancels the running statements of the ingestor's own sessions (their backend pids), when a stop outlasts its
-- grace: the births they were applying roll back and go to the spool. Same role, so no privilege is needed.
select count(*) filter (where pg_cancel_backend(pid))::int as cancelled from unnest($1::int[]) as pid
