-- Deploy uns_meta:views/metric_catalog to pg
-- requires: views/metric_hierarchy tables/metric_properties
begin;

-- The analysts' one-stop view: metric_hierarchy's UNS levels with the properties nearly every question needs as
-- columns (engineering unit, low and high limits, description), so no query has to pivot metric_properties.
-- The keys are the Sparkplug properties the Canary name map sends as Eng Units / Default Low Scale /
-- Default High Scale / Description (tables/canary_property_names): documentation wins over description.
create view uns_meta.metric_catalog as
select h.metric_id, h.device_id, h.name, h.uns_path, h.canary_id,
       h.enterprise, h.country, h.business_unit, h.plant, h.area, h.line, h.folders, h.tag, h.depth, h.levels,
       h.datatype, h.datatype_name,
       p.eng_unit, p.eng_low, p.eng_high, p.description,
       h.version, h.retired, h.created_at, h.updated_at
  from uns_meta.metric_hierarchy as h
  left join lateral (
    select max(mp.value_string) filter (where mp.key = 'engUnit') as eng_unit,
           max(coalesce(mp.value_double, mp.value_float, mp.value_int, mp.value_long, mp.value_uint64)::double precision)
             filter (where mp.key = 'engLow') as eng_low,
           max(coalesce(mp.value_double, mp.value_float, mp.value_int, mp.value_long, mp.value_uint64)::double precision)
             filter (where mp.key = 'engHigh') as eng_high,
           coalesce(max(mp.value_string) filter (where mp.key = 'documentation'),
                    max(mp.value_string) filter (where mp.key = 'description')) as description
      from uns_meta.metric_properties as mp
     where mp.metric_id = h.metric_id
       and mp.key in ('engUnit', 'engLow', 'engHigh', 'documentation', 'description')
  ) as p on true;
comment on view uns_meta.metric_catalog is
  'One row per metric: its UNS levels (as uns_meta.metric_hierarchy) with engineering unit, limits and description as columns (from uns_meta.metric_properties).';
comment on column uns_meta.metric_catalog.metric_id is 'The metric (uns_meta.metrics.metric_id).';
comment on column uns_meta.metric_catalog.device_id is 'Its device (uns_meta.devices.device_id).';
comment on column uns_meta.metric_catalog.name is 'Sparkplug metric name as received.';
comment on column uns_meta.metric_catalog.uns_path is 'Normalised UNS path.';
comment on column uns_meta.metric_catalog.canary_id is 'Canary tag path without the dataset.';
comment on column uns_meta.metric_catalog.enterprise is 'Level 1: the Sparkplug group (e.g. Secil).';
comment on column uns_meta.metric_catalog.country is 'Level 2: the edge node (plant convention: country).';
comment on column uns_meta.metric_catalog.business_unit is 'Level 3: the device (plant convention: business unit).';
comment on column uns_meta.metric_catalog.plant is 'Level 4: the first metric-name segment (plant).';
comment on column uns_meta.metric_catalog.area is 'Level 5 (e.g. 400 - Clinker Production).';
comment on column uns_meta.metric_catalog.line is 'Level 6 (e.g. 432 - Kiln).';
comment on column uns_meta.metric_catalog.folders is 'Levels 7 .. depth-1.';
comment on column uns_meta.metric_catalog.tag is 'The last level.';
comment on column uns_meta.metric_catalog.depth is 'Number of levels.';
comment on column uns_meta.metric_catalog.levels is 'All levels as an array.';
comment on column uns_meta.metric_catalog.datatype is 'Sparkplug DataType code.';
comment on column uns_meta.metric_catalog.datatype_name is 'Sparkplug DataType name of the metric.';
comment on column uns_meta.metric_catalog.eng_unit is 'Engineering unit: the engUnit property (NULL when absent or not a string).';
comment on column uns_meta.metric_catalog.eng_low is 'Low limit: the engLow property as double precision (NULL when absent or not numeric).';
comment on column uns_meta.metric_catalog.eng_high is 'High limit: the engHigh property as double precision (NULL when absent or not numeric).';
comment on column uns_meta.metric_catalog.description is 'The documentation property, else the description property.';
comment on column uns_meta.metric_catalog.version is 'Current version number of the metric.';
comment on column uns_meta.metric_catalog.retired is 'True when the device''s latest DBIRTH no longer names the metric.';
comment on column uns_meta.metric_catalog.created_at is 'When the metric was first seen.';
comment on column uns_meta.metric_catalog.updated_at is 'When the metric row last changed (its properties have their own updated_at).';
grant select on uns_meta.metric_catalog to uns_meta_app, uns_meta_ro;

commit;
