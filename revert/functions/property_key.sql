-- Revert uns_meta:functions/property_key from pg
begin;
drop function uns_meta.property_key(text[]);
commit;
