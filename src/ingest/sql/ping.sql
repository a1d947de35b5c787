-- Readiness and recovery probe: the database answers and the service role can reach the schema.
select 1 as ok from pg_namespace where nspname = 'uns_meta'
