-- Verify uns_meta:views/canary_parity on pg
begin;
select metric_id, device_id, uns_path, canary_id, version, confirmed_version, confirmed_at, canary_tag, last_outcome,
       status, up_to_date, open_dead_letters, updated_at, retired_at
  from uns_meta.canary_parity where false;
rollback;
