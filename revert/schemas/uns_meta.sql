-- Revert uns_meta:schemas/uns_meta from pg
begin;
drop schema uns_meta;
commit;
