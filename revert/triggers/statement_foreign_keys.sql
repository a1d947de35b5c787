-- Revert uns_meta:triggers/statement_foreign_keys from pg
begin;

-- The real foreign keys again, under their old names (validated: the triggers kept every row valid).
alter table uns_meta.metrics add constraint metrics_device_id_fkey
  foreign key (device_id) references uns_meta.devices (device_id) on delete cascade;
alter table uns_meta.metric_versions add constraint metric_versions_metric_id_fkey
  foreign key (metric_id) references uns_meta.metrics (metric_id) on delete cascade;
comment on column uns_meta.metrics.device_id is 'The device whose DBIRTH names this metric.';
comment on column uns_meta.metric_versions.metric_id is 'The metric that changed.';

drop trigger _200_truncate_versions on uns_meta.metrics;
drop trigger _200_delete_versions on uns_meta.metrics;
drop trigger _200_metric_exists_update on uns_meta.metric_versions;
drop trigger _200_metric_exists_insert on uns_meta.metric_versions;
drop trigger _200_device_id_referenced on uns_meta.devices;
drop trigger _200_truncate_metrics on uns_meta.devices;
drop trigger _200_delete_metrics on uns_meta.devices;
drop trigger _200_device_exists_update on uns_meta.metrics;
drop trigger _200_device_exists_insert on uns_meta.metrics;
drop function uns_meta.tg__fk_no_action_update();
drop function uns_meta.tg__fk_cascade_delete();
drop function uns_meta.tg__fk_check();

commit;
