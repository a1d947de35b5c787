-- Revert uns_meta:tables/canary_sync_state from pg
begin;
drop table uns_meta.canary_sync_state;
commit;
