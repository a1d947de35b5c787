-- Deploy uns_meta:tables/alias_maps to pg
-- requires: schemas/uns_meta
begin;

create table uns_meta.alias_maps (
  group_id     text not null,
  edge_node_id text not null,
  device_id    text not null default '',
  alias        numeric(20,0) not null,
  metric_name  text not null,
  born_at      timestamptz not null,
  primary key (group_id, edge_node_id, device_id, alias),
  constraint chk_alias_maps_alias check (alias between 0 and 18446744073709551615),
  constraint chk_alias_maps_metric_name check (metric_name <> ''),
  constraint chk_alias_maps_ids check (group_id <> '' and edge_node_id <> '')
);
comment on table uns_meta.alias_maps is
  'Sparkplug alias maps kept by the ingestor so a restart does not lose them: one map per edge node (from its NBIRTH, device_id = '''') and one per device (from its DBIRTH). A new birth replaces its map. A birth metric that carries only an alias is named from the device''s map, then the edge node''s.';
comment on column uns_meta.alias_maps.group_id is 'Sparkplug group id of the topic.';
comment on column uns_meta.alias_maps.edge_node_id is 'Sparkplug edge node id of the topic.';
comment on column uns_meta.alias_maps.device_id is 'Sparkplug device id of a DBIRTH; the empty string for the edge node''s own map (NBIRTH).';
comment on column uns_meta.alias_maps.alias is 'The metric alias (uint64).';
comment on column uns_meta.alias_maps.metric_name is 'The metric name the birth gave with this alias.';
comment on column uns_meta.alias_maps.born_at is 'received_at of the birth that defined this entry.';

grant select, insert, update, delete on uns_meta.alias_maps to uns_meta_app;
grant select on uns_meta.alias_maps to uns_meta_ro;

commit;
