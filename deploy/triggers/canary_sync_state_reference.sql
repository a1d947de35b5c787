-- Deploy uns_meta:triggers/canary_sync_state_reference to pg
-- requires: triggers/statement_foreign_keys tables/canary_sync_state
begin;

-- canary_sync_state.metric_id -> metrics, checked once per statement by the triggers of triggers/statement_foreign_keys
-- instead of a FOREIGN KEY checked per row (issue 12, "less work per row"). The worker confirms a 100,000-metric sync in
-- about 300 statements (src/worker/sql/confirm.sql, ~330 rows each); the foreign key ran one
-- `SELECT 1 FROM metrics WHERE metric_id = $1 FOR KEY SHARE` per inserted row: 100,000 queries in a profile of that
-- sync (pg_stat_statements, docs/worker.md). Same guarantees as the foreign key: 23503 with its message and name on an
-- INSERT (per statement) or an UPDATE of metric_id (per row) naming no metric, the metrics locked FOR KEY SHARE by
-- the writer, ON DELETE CASCADE (and TRUNCATE metrics ... CASCADE) from metrics.

alter table uns_meta.canary_sync_state drop constraint canary_sync_state_metric_id_fkey;
comment on column uns_meta.canary_sync_state.metric_id is
  'The metric Canary confirmed. References metrics (ON DELETE CASCADE), enforced once per statement by triggers (constraint name canary_sync_state_metric_id_fkey in their errors).';

create trigger _200_sync_state_metric_exists_insert after insert on uns_meta.canary_sync_state
  referencing new table as new_rows
  for each statement execute function uns_meta.tg__fk_check('metric_id', 'uns_meta.metrics', 'metric_id', 'canary_sync_state_metric_id_fkey');
create trigger _200_sync_state_metric_exists_update after update on uns_meta.canary_sync_state
  for each row when (old.metric_id is distinct from new.metric_id)
  execute function uns_meta.tg__fk_check('metric_id', 'uns_meta.metrics', 'metric_id', 'canary_sync_state_metric_id_fkey');
create trigger _200_delete_sync_state after delete on uns_meta.metrics
  referencing old table as old_rows
  for each statement execute function uns_meta.tg__fk_cascade_delete('uns_meta.canary_sync_state', 'metric_id', 'metric_id');
create trigger _200_truncate_sync_state after truncate on uns_meta.metrics
  for each statement execute function uns_meta.tg__fk_cascade_delete('uns_meta.canary_sync_state', 'metric_id', 'metric_id');

commit;
