-- Revert uns_meta:tables/canary_sync_state_written_version from pg
begin;

-- The JSON copy again, empty: the worker of that version then sends every property of the next version of each
-- metric (it holds none of them as confirmed), once, and copies what it sent from then on. Nothing is lost in Canary.
alter table uns_meta.canary_sync_state
  drop column written_version,
  add column confirmed_properties jsonb not null default '{}'
    constraint chk_canary_sync_state_properties check (jsonb_typeof(confirmed_properties) = 'object');
comment on column uns_meta.canary_sync_state.confirmed_properties is
  'Canary property name -> value Canary holds for canary_tag, as written by the worker (removed Sparkplug properties stay: Canary keeps them).';
comment on table uns_meta.canary_sync_state is
  'Per metric, the latest version the worker brought Canary up to date with, and the Canary property values Canary holds for its tag (so the next sync sends only added and changed properties).';

commit;
