-- Revert uns_meta:tables/dead_letters from pg
begin;
drop table uns_meta.dead_letters;
commit;
