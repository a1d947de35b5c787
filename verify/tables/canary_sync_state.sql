-- Verify uns_meta:tables/canary_sync_state on pg
begin;
-- confirmed_properties is not checked: tables/canary_sync_state_written_version replaces it (its own verify checks that).
select metric_id, confirmed_version, confirmed_at, canary_tag, outcome, changed_at
  from uns_meta.canary_sync_state where false;
rollback;
