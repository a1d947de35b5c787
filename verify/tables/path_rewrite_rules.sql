-- Verify uns_meta:tables/path_rewrite_rules on pg
begin;
select rule_id, pattern, replacement, flags, enabled, description, created_by, created_at, updated_at
  from uns_meta.path_rewrite_rules where false;
rollback;
