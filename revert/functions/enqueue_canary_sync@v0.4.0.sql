-- Revert uns_meta:functions/enqueue_canary_sync from pg
begin;
drop function uns_meta.enqueue_canary_sync(bigint[]);
commit;
