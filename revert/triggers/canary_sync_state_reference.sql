-- Revert uns_meta:triggers/canary_sync_state_reference from pg
begin;

-- The real foreign key again, under its old name (validated: the triggers kept every row valid).
alter table uns_meta.canary_sync_state add constraint canary_sync_state_metric_id_fkey
  foreign key (metric_id) references uns_meta.metrics (metric_id) on delete cascade;
comment on column uns_meta.canary_sync_state.metric_id is 'The metric (uns_meta.metrics).';

drop trigger _200_truncate_sync_state on uns_meta.metrics;
drop trigger _200_delete_sync_state on uns_meta.metrics;
drop trigger _200_sync_state_metric_exists_update on uns_meta.canary_sync_state;
drop trigger _200_sync_state_metric_exists_insert on uns_meta.canary_sync_state;

commit;
