-- Revert uns_meta:tables/path_rewrite_rules from pg
begin;
drop table uns_meta.path_rewrite_rules;
commit;
