-- Verify uns_meta:functions/tg__timestamps on pg
begin;
select pg_catalog.pg_get_functiondef('uns_meta.tg__timestamps()'::regprocedure);
rollback;
