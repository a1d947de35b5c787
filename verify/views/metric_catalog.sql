-- Verify uns_meta:views/metric_catalog on pg
begin;
select metric_id, uns_path, enterprise, country, business_unit, plant, area, line, tag, eng_unit, eng_low, eng_high,
       description, version, retired
  from uns_meta.metric_catalog where false;
rollback;
