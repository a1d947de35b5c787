-- What a process of uns-meta needs of its database, checked once at start (src/db-check/index.ts): the schemas
-- deployed, and the rights of the connected role. Every privilege test is guarded by the object's existence (CASE evaluates its branches lazily), so
-- the query itself never fails on an undeployed database.
select
  current_user as role,
  current_database() as database,
  to_regnamespace('uns_meta') is not null as uns_meta_deployed,
  to_regnamespace('graphile_worker') is not null as graphile_worker_deployed,
  to_regprocedure('uns_meta.ingest_birth(jsonb)') is not null as ingest_birth_deployed,
  to_regclass('uns_meta.canary_dead_letters') is not null as canary_dead_letters_deployed,
  case when to_regnamespace('uns_meta') is null then false
       else has_schema_privilege('uns_meta', 'usage') end as uns_meta_usage,
  case when to_regnamespace('graphile_worker') is null then false
       else has_schema_privilege('graphile_worker', 'usage') end as graphile_worker_usage,
  case when to_regprocedure('uns_meta.ingest_birth(jsonb)') is null then false
       else has_function_privilege('uns_meta.ingest_birth(jsonb)', 'execute') end as ingest_birth_execute,
  case when to_regclass('uns_meta.canary_dead_letters') is null then false
       else has_table_privilege('uns_meta.canary_dead_letters', 'insert') end as canary_dead_letters_insert
