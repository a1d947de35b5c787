-- Revert uns_meta:views/canary_sync_schedule from pg
begin;
drop view uns_meta.canary_sync_schedule;
drop function uns_meta.canary_sync_jobs();
commit;
