-- Deploy uns_meta:views/canary_parity to pg
-- requires: tables/canary_sync_state tables/canary_dead_letters
begin;

create view uns_meta.canary_parity as
select m.metric_id,
       m.device_id,
       m.uns_path,
       m.canary_id,
       m.version,
       s.confirmed_version,
       s.confirmed_at,
       s.canary_tag,
       s.outcome as last_outcome,
       case
         when d.open_dead_letters > 0 then 'dead_letter'
         when s.metric_id is null then 'never_synced'
         when s.confirmed_version = m.version then 'in_sync'
         else 'pending'
       end as status,
       s.confirmed_version is not distinct from m.version and coalesce(d.open_dead_letters, 0) = 0 as up_to_date,
       coalesce(d.open_dead_letters, 0) as open_dead_letters,
       m.updated_at,
       m.retired_at
  from uns_meta.metrics m
  left join uns_meta.canary_sync_state s using (metric_id)
  left join lateral (select count(*)::integer as open_dead_letters
                       from uns_meta.canary_dead_letters dl
                      where dl.metric_id = m.metric_id and dl.resolved_at is null) d on true;
comment on view uns_meta.canary_parity is
  'Is Canary up to date for this tag? One row per metric: its catalog version, the version Canary confirmed, and a status (in_sync, pending, never_synced, dead_letter).';
comment on column uns_meta.canary_parity.metric_id is 'The metric (uns_meta.metrics.metric_id).';
comment on column uns_meta.canary_parity.device_id is 'Its device.';
comment on column uns_meta.canary_parity.uns_path is 'Current UNS path.';
comment on column uns_meta.canary_parity.canary_id is 'Canary tag path without the dataset.';
comment on column uns_meta.canary_parity.version is 'Current catalog version of the metric.';
comment on column uns_meta.canary_parity.confirmed_version is 'Version Canary confirmed (NULL: never synced).';
comment on column uns_meta.canary_parity.confirmed_at is 'When Canary confirmed it.';
comment on column uns_meta.canary_parity.canary_tag is 'Full Canary tag path last written (<dataset>.<path>).';
comment on column uns_meta.canary_parity.last_outcome is 'written, unchanged, skipped_transient or retired (canary_sync_state.outcome).';
comment on column uns_meta.canary_parity.status is
  'in_sync (confirmed version = version), pending (a newer version waits for the worker), never_synced, dead_letter (an undelivered change awaits `uns-meta canary replay`).';
comment on column uns_meta.canary_parity.up_to_date is 'True when status is in_sync.';
comment on column uns_meta.canary_parity.open_dead_letters is 'Dead letters of the metric not yet replayed.';
comment on column uns_meta.canary_parity.updated_at is 'When the metric last changed in the catalog.';
comment on column uns_meta.canary_parity.retired_at is 'When the metric was retired (NULL while live).';
grant select on uns_meta.canary_parity to uns_meta_app, uns_meta_ro;

commit;
