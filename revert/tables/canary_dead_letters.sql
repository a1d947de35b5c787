-- Revert uns_meta:tables/canary_dead_letters from pg
begin;
drop table uns_meta.canary_dead_letters;
commit;
