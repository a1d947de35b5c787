-- Revert uns_meta:types/spb_property_type from pg
begin;
drop type uns_meta.spb_property_type;
commit;
