-- Deploy uns_meta:tables/canary_sync_state_written_version to pg
-- requires: tables/canary_sync_state
begin;

-- What Canary holds for a tag is named by a catalog version instead of copied as JSON (issue 12, "less work per
-- row": the copy was 22.9 MB of jsonb per 100,000-metric sync, parsed, merged and written by every confirmation).
-- written_version is the metrics.version whose Canary properties canary_tag holds: set by a confirmation whose
-- outcome is `written` or `unchanged`, kept by `skipped_transient` and `retired` (nothing was written then). The worker
-- sends the properties the version diffs after it touched (src/worker/sql/pending-metrics.sql); metric_versions is
-- append-only, so those diffs are always there.
--
-- Existing rows: a `written` or `unchanged` confirmation left confirmed_properties holding every Canary property of
-- its confirmed version (the worker merged what it sent into what was there), so written_version = confirmed_version.
-- A `skipped_transient` or `retired` row does not say which version Canary holds: NULL, and the next write of that
-- metric sends all its properties once.
alter table uns_meta.canary_sync_state add column written_version integer;
update uns_meta.canary_sync_state set written_version = confirmed_version where outcome in ('written', 'unchanged');
alter table uns_meta.canary_sync_state
  drop column confirmed_properties,
  add constraint chk_canary_sync_state_written_version check (written_version between 1 and confirmed_version);

comment on table uns_meta.canary_sync_state is
  'Per metric, the latest version the worker brought Canary up to date with, and the version whose properties Canary holds for its tag (so the next sync sends only what the version diffs after it touched).';
comment on column uns_meta.canary_sync_state.written_version is
  'metrics.version whose Canary properties canary_tag holds (set by a written or unchanged confirmation, kept by skipped_transient and retired); NULL: none known, the next write sends every property.';

commit;
