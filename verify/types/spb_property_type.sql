-- Verify uns_meta:types/spb_property_type on pg
begin;
select 'uint64'::uns_meta.spb_property_type, 'propertysetlist'::uns_meta.spb_property_type;
rollback;
