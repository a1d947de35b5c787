-- Revert uns_meta:functions/deployed_changes from pg
begin;
drop function uns_meta.deployed_changes();
commit;
