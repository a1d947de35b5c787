-- Revert uns_meta:functions/reapply_path_rules from pg
begin;
drop function uns_meta.reapply_path_rules(boolean);
commit;
