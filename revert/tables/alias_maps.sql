-- Revert uns_meta:tables/alias_maps from pg
begin;
drop table uns_meta.alias_maps;
commit;
