-- pgTAP: uns_meta.canary_reserve_requests(n, rate), the request schedule every worker process takes its Canary
-- request slots from (the plant's cap across processes).
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
select plan(12);

select has_function('uns_meta', 'canary_reserve_requests', array['integer', 'double precision'], 'the function exists');
select is_definer('uns_meta', 'canary_reserve_requests', array['integer', 'double precision'], 'it is SECURITY DEFINER');
select volatility_is('uns_meta', 'canary_reserve_requests', array['integer', 'double precision'], 'volatile', 'it is VOLATILE');
select ok(has_function_privilege('uns_meta_app', 'uns_meta.canary_reserve_requests(integer, double precision)', 'execute'), 'uns_meta_app may call it');
select ok(not has_function_privilege('uns_meta_ro', 'uns_meta.canary_reserve_requests(integer, double precision)', 'execute'), 'uns_meta_ro may not');
select table_privs_are('uns_meta', 'canary_request_schedule', 'uns_meta_app', array[]::text[], 'uns_meta_app has no direct right on the schedule');
select is((select count(*)::int from uns_meta.canary_request_schedule), 1, 'the schedule has its one row');

update uns_meta.canary_request_schedule set next_slot_at = '-infinity';
select results_eq($$select first_slot_in_ms < 5, spacing_ms from uns_meta.canary_reserve_requests(10, 500)$$,
                  $$values (true, 2::float8)$$, 'the first block starts now; slots are 1000 / rate ms apart');
-- A schedule already booked an hour ahead: the next block starts there, and the schedule moves by exactly n slots.
-- (An hour rather than a second, so a stalled machine between these statements cannot move the result out of the
-- window: up to 100 s of stall still passes.)
update uns_meta.canary_request_schedule set next_slot_at = clock_timestamp() + interval '1 hour';
create temp table before_slot as select next_slot_at from uns_meta.canary_request_schedule;
select ok(r.first_slot_in_ms between 3500000 and 3600000, 'a new block starts after the slots already reserved (about an hour from now)')
  from (select first_slot_in_ms from uns_meta.canary_reserve_requests(10, 500) offset 0) r;
select is((select s.next_slot_at - b.next_slot_at from uns_meta.canary_request_schedule s, before_slot b), interval '20 ms',
          'the schedule advanced by the 10 slots handed out (10 x 2 ms)');
select throws_ok($$select uns_meta.canary_reserve_requests(0, 500)$$, 'U0201', null, 'n must be positive (U0201)');
select throws_ok($$select uns_meta.canary_reserve_requests(1, 0)$$, 'U0201', null, 'the rate must be positive (U0201)');

select * from finish();
rollback;
