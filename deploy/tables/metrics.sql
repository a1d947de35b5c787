-- Deploy uns_meta:tables/metrics to pg
-- requires: tables/devices
begin;

create table uns_meta.metrics (
  metric_id     bigint generated always as identity primary key,
  device_id     bigint not null references uns_meta.devices (device_id) on delete cascade,
  name          text not null,
  uns_path      text not null,
  canary_id     text generated always as (replace(uns_path, '/', '.')) stored,
  datatype      bigint not null,
  alias         numeric(20, 0),
  is_historical boolean not null default false,
  is_transient  boolean not null default false,
  retired_at    timestamptz,
  version       integer not null default 1,
  properties_hash bytea,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  constraint uq_metric_spb_identity unique (device_id, name),
  -- Deferrable (checked at the end of each statement) so one UPDATE may swap or chain paths when a DBA
  -- changes the path rules; still immediate for every statement.
  constraint uq_metrics_uns_path unique (uns_path) deferrable initially immediate,
  constraint uq_metrics_canary_id unique (canary_id) deferrable initially immediate,
  constraint chk_metrics_name check (name <> ''),
  constraint chk_metrics_uns_path check (uns_path ~ '^[^/]+(/[^/]+)*$'),
  constraint chk_metrics_datatype check (datatype between 0 and 4294967295),
  constraint chk_metrics_alias check (alias between 0 and 18446744073709551615),
  constraint chk_metrics_version check (version >= 1)
);
comment on table uns_meta.metrics is
  'One row per metric (tag) named in a device''s DBIRTH. Identity is (device, Sparkplug name); the UNS path may change (see metric_path_lineage). Retired metrics are kept.';
comment on column uns_meta.metrics.metric_id is 'Surrogate key; stays the same when the UNS path changes.';
comment on column uns_meta.metrics.device_id is 'The device whose DBIRTH names this metric.';
comment on column uns_meta.metrics.name is 'Sparkplug metric name exactly as received (case-sensitive, "/" separates folders).';
comment on column uns_meta.metrics.uns_path is 'Normalised UNS path: <device uns_path>/<normalised name segments>.';
comment on column uns_meta.metrics.canary_id is 'Canary tag path without the dataset: uns_path with "/" replaced by "." (generated).';
comment on column uns_meta.metrics.datatype is 'Sparkplug DataType code as received (uint32; unknown codes kept); uns_meta.spb_datatype_name() names it.';
comment on column uns_meta.metrics.alias is 'Sparkplug alias (uint64) from the birth, NULL when the birth gave none. Aliases are per edge node.';
comment on column uns_meta.metrics.is_historical is 'Sparkplug is_historical flag of the birth metric.';
comment on column uns_meta.metrics.is_transient is 'Sparkplug is_transient flag: such metrics should not be historised.';
comment on column uns_meta.metrics.retired_at is 'Set when a later DBIRTH of the device no longer names the metric; NULL while it is live.';
comment on column uns_meta.metrics.version is 'Current version number: equals the version_no of the metric''s latest metric_versions row.';
comment on column uns_meta.metrics.properties_hash is
  'MD5 of the canonical JSON of the properties in the last birth that changed them: lets an identical re-birth skip the property diff. Not metadata; changing it alone does not move updated_at.';
comment on column uns_meta.metrics.created_at is 'When the metric was first seen (immutable).';
comment on column uns_meta.metrics.updated_at is 'When a column of this row last changed (not touched by identical re-births).';

create trigger _100_timestamps before update on uns_meta.metrics
  for each row execute function uns_meta.tg__timestamps('canary_id', 'properties_hash');

grant select, insert, update on uns_meta.metrics to uns_meta_app;
grant select on uns_meta.metrics to uns_meta_ro, uns_meta_cdc;

commit;
