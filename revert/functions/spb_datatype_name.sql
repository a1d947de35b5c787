-- Revert uns_meta:functions/spb_datatype_name from pg
begin;
drop function uns_meta.spb_datatype_name(bigint);
commit;
