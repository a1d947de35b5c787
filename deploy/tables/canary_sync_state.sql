-- Deploy uns_meta:tables/canary_sync_state to pg
-- requires: tables/metrics
begin;

-- What Canary confirmed per metric. The worker sends only the properties whose value differs from
-- confirmed_properties (or all of them when the tag path changed), then merges what Canary accepted.
create table uns_meta.canary_sync_state (
  metric_id            bigint primary key references uns_meta.metrics (metric_id) on delete cascade,
  confirmed_version    integer not null,
  confirmed_at         timestamptz not null default now(),
  canary_tag           text,
  confirmed_properties jsonb not null default '{}',
  outcome              text not null,
  changed_at           timestamptz,
  constraint chk_canary_sync_state_version check (confirmed_version >= 1),
  constraint chk_canary_sync_state_outcome check (outcome in ('written', 'unchanged', 'skipped_transient', 'retired')),
  constraint chk_canary_sync_state_properties check (jsonb_typeof(confirmed_properties) = 'object')
);
comment on table uns_meta.canary_sync_state is
  'Per metric, the latest version the worker brought Canary up to date with, and the Canary property values Canary holds for its tag (so the next sync sends only added and changed properties).';
comment on column uns_meta.canary_sync_state.metric_id is 'The metric (uns_meta.metrics).';
comment on column uns_meta.canary_sync_state.confirmed_version is 'metrics.version whose metadata Canary confirmed (or that needed no write).';
comment on column uns_meta.canary_sync_state.confirmed_at is 'When Canary confirmed it (or the worker found nothing to send).';
comment on column uns_meta.canary_sync_state.canary_tag is 'Full Canary tag path (<dataset>.<path>) the properties were written to; NULL when never written.';
comment on column uns_meta.canary_sync_state.confirmed_properties is
  'Canary property name -> value Canary holds for canary_tag, as written by the worker (removed Sparkplug properties stay: Canary keeps them).';
comment on column uns_meta.canary_sync_state.outcome is
  'written (Canary confirmed a write), unchanged (nothing to send), skipped_transient (is_transient metric, not synced), retired (metric retired, not synced).';
comment on column uns_meta.canary_sync_state.changed_at is 'metrics.updated_at of the confirmed version: the ingest commit time the end-to-end latency is measured from.';

grant select, insert, update on uns_meta.canary_sync_state to uns_meta_app;
grant select on uns_meta.canary_sync_state to uns_meta_ro;

commit;
