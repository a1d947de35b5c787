-- Deploy uns_meta:views/metric_hierarchy to pg
-- requires: tables/metrics
begin;

-- The UNS hierarchy per metric for analysts, by the plant's convention:
-- <enterprise = group>/<country = edge node>/<business unit = device>/<plant>/<area>/<line>/.../<tag>.
create view uns_meta.metric_hierarchy as
select m.metric_id, m.device_id, m.name, m.uns_path, m.canary_id,
       p[1] as enterprise,
       coalesce(d.country, p[2]) as country,
       coalesce(d.business_unit, p[3]) as business_unit,
       p[4] as plant,
       p[5] as area,
       p[6] as line,
       p[7:cardinality(p) - 1] as folders,
       p[cardinality(p)] as tag,
       cardinality(p) as depth,
       p as levels,
       m.datatype, uns_meta.spb_datatype_name(m.datatype) as datatype_name,
       m.version, m.retired_at is not null as retired, m.created_at, m.updated_at
  from uns_meta.metrics as m
  join uns_meta.devices as d using (device_id)
 cross join lateral string_to_array(m.uns_path, '/') as p;
comment on view uns_meta.metric_hierarchy is
  'One row per metric with its UNS levels: enterprise (group), country (edge node), business unit (device), plant, area, line, folders, tag. Levels a short path lacks are NULL.';
comment on column uns_meta.metric_hierarchy.enterprise is 'Level 1: the Sparkplug group (e.g. Secil).';
comment on column uns_meta.metric_hierarchy.country is 'Level 2: the edge node (plant convention: country).';
comment on column uns_meta.metric_hierarchy.business_unit is 'Level 3: the device (plant convention: business unit).';
comment on column uns_meta.metric_hierarchy.plant is 'Level 4: the first metric-name segment (plant).';
comment on column uns_meta.metric_hierarchy.area is 'Level 5 (e.g. 400 - Clinker Production).';
comment on column uns_meta.metric_hierarchy.line is 'Level 6 (e.g. 432 - Kiln).';
comment on column uns_meta.metric_hierarchy.folders is 'Levels 7 .. depth-1.';
comment on column uns_meta.metric_hierarchy.tag is 'The last level.';
comment on column uns_meta.metric_hierarchy.depth is 'Number of levels.';
comment on column uns_meta.metric_hierarchy.levels is 'All levels as an array.';
comment on column uns_meta.metric_hierarchy.datatype_name is 'Sparkplug DataType name of the metric.';
comment on column uns_meta.metric_hierarchy.retired is 'True when the device''s latest DBIRTH no longer names the metric.';
comment on column uns_meta.metric_hierarchy.metric_id is 'The metric (uns_meta.metrics.metric_id).';
comment on column uns_meta.metric_hierarchy.device_id is 'Its device (uns_meta.devices.device_id).';
comment on column uns_meta.metric_hierarchy.name is 'Sparkplug metric name as received.';
comment on column uns_meta.metric_hierarchy.uns_path is 'Normalised UNS path.';
comment on column uns_meta.metric_hierarchy.canary_id is 'Canary tag path without the dataset.';
comment on column uns_meta.metric_hierarchy.datatype is 'Sparkplug DataType code.';
comment on column uns_meta.metric_hierarchy.version is 'Current version number of the metric.';
comment on column uns_meta.metric_hierarchy.created_at is 'When the metric was first seen.';
comment on column uns_meta.metric_hierarchy.updated_at is 'When the metric row last changed.';
grant select on uns_meta.metric_hierarchy to uns_meta_app, uns_meta_ro;

commit;
