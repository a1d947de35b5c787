-- Verify uns_meta:tables/canary_dead_letters on pg
begin;
select dead_letter_id, metric_id, version, canary_tag, properties, error, attempts, created_at, resolved_at
  from uns_meta.canary_dead_letters where false;
rollback;
