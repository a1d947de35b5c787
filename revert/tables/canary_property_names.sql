-- Revert uns_meta:tables/canary_property_names from pg
begin;
drop table uns_meta.canary_property_names;
commit;
