-- Verify uns_meta:tables/canary_property_names on pg
begin;
select property_key, canary_name, precedence, description, created_at, updated_at
  from uns_meta.canary_property_names where false;
select 1 / count(*) from uns_meta.canary_property_names where property_key = 'engUnit';
rollback;
