-- Verify uns_meta:functions/tg__append_only on pg
begin;
select pg_catalog.pg_get_functiondef('uns_meta.tg__append_only()'::regprocedure);
rollback;
