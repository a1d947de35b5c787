-- Revert uns_meta:publications/uns_meta_pub from pg
begin;
drop publication uns_meta_pub;
commit;
