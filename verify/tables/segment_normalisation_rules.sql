-- Verify uns_meta:tables/segment_normalisation_rules on pg
begin;
select step, action, pattern, replacement, flags, enabled, description, created_at, updated_at
  from uns_meta.segment_normalisation_rules where false;
rollback;
