-- Revert uns_meta:functions/canary_reserve_requests from pg
begin;
drop function uns_meta.canary_reserve_requests(integer, double precision);
drop table uns_meta.canary_request_schedule;
commit;
