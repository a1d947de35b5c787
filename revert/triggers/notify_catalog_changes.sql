-- Revert uns_meta:triggers/notify_catalog_changes from pg
begin;
drop trigger _900_notify_watch_insert on uns_meta.canary_sync_state;
drop trigger _900_notify_watch_update on uns_meta.canary_sync_state;
drop trigger _900_notify_watch_mark on uns_meta.canary_sync_state;
drop function uns_meta.tg_canary_sync_state__notify_watch();
drop trigger _900_notify_watch on uns_meta.metric_versions;
drop function uns_meta.tg_metric_versions__notify_watch();
commit;
