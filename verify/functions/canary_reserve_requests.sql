-- Verify uns_meta:functions/canary_reserve_requests on pg
begin;
select has_function_privilege('uns_meta_app', 'uns_meta.canary_reserve_requests(integer, double precision)', 'execute');
select 1 / count(*) from uns_meta.canary_request_schedule;
rollback;
