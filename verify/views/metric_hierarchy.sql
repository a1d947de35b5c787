-- Verify uns_meta:views/metric_hierarchy on pg
begin;
select metric_id, enterprise, country, business_unit, plant, area, line, folders, tag, depth, levels, retired
  from uns_meta.metric_hierarchy where false;
rollback;
