-- Deploy uns_meta:tables/devices to pg
-- requires: functions/tg__timestamps
begin;

create table uns_meta.devices (
  device_id     bigint generated always as identity primary key,
  group_id      text not null,
  edge          text not null,
  device        text not null,
  country       text,
  business_unit text,
  plant         text,
  uns_path      text not null,
  path_rules_version text,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  constraint uq_devices_spb_identity unique (group_id, edge, device),
  constraint uq_devices_uns_path unique (uns_path) deferrable initially immediate,
  constraint chk_devices_spb_ids check (
    group_id ~ '^[^+/#]+$' and edge ~ '^[^+/#]+$' and device ~ '^[^+/#]+$'),
  constraint chk_devices_uns_path check (uns_path ~ '^[^/]+(/[^/]+)*$')
);
comment on table uns_meta.devices is
  'One row per Sparkplug device (group, edge node, device) that sent a DBIRTH. Identity is the Sparkplug ids; the UNS path may change (see device_path_lineage).';
comment on column uns_meta.devices.device_id is 'Surrogate key; stays the same when the UNS path changes.';
comment on column uns_meta.devices.group_id is 'Sparkplug group id from the topic (spBv1.0/<group>/DBIRTH/<edge>/<device>), as received.';
comment on column uns_meta.devices.edge is 'Sparkplug edge node id from the topic, as received.';
comment on column uns_meta.devices.device is 'Sparkplug device id from the topic, as received.';
comment on column uns_meta.devices.country is 'Country level of the UNS hierarchy (plant convention: the normalised edge node id).';
comment on column uns_meta.devices.business_unit is 'Business unit level of the UNS hierarchy (plant convention: the normalised device id).';
comment on column uns_meta.devices.plant is 'Plant, when the device serves one plant; NULL when the plant is per metric (first metric-name segment).';
comment on column uns_meta.devices.uns_path is 'Normalised UNS path of the device: <group>/<edge>/<device>, "/"-separated.';
comment on column uns_meta.devices.path_rules_version is
  'uns_meta.path_rules_version() of the rules the paths of the device''s live metrics were computed with; a birth under the same rules reuses those paths. NULL: recompute.';
comment on column uns_meta.devices.created_at is 'When the device was first seen (immutable).';
comment on column uns_meta.devices.updated_at is 'When a column of this row last changed (not touched by identical re-births).';

create trigger _100_timestamps before update on uns_meta.devices
  for each row execute function uns_meta.tg__timestamps('path_rules_version');

grant select, insert, update on uns_meta.devices to uns_meta_app;
grant select on uns_meta.devices to uns_meta_ro;

commit;
