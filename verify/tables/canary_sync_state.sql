-- Verify uns_meta:tables/canary_sync_state on pg
begin;
select metric_id, confirmed_version, confirmed_at, canary_tag, confirmed_properties, outcome, changed_at
  from uns_meta.canary_sync_state where false;
rollback;
