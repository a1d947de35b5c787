-- Deploy uns_meta:functions/canary_reserve_requests to pg
-- requires: schemas/uns_meta
begin;

-- The plant's Canary request cap holds across every worker process: they all take their request slots from
-- one schedule in Postgres. Slots are spaced evenly (1000 / rate ms apart) on one global timeline, so any
-- one-second window holds at most `rate` slot times; a worker sends each request within a short tolerance
-- after its slot (or reserves a new one). See docs/worker.md "The request-rate cap".
create table uns_meta.canary_request_schedule (
  singleton    boolean primary key default true,
  next_slot_at timestamptz not null default '-infinity',
  constraint chk_canary_request_schedule_singleton check (singleton)
);
comment on table uns_meta.canary_request_schedule is
  'One row: the next free Canary request slot on the timeline shared by all worker processes (see canary_reserve_requests).';
comment on column uns_meta.canary_request_schedule.singleton is 'Always true: the table has at most one row.';
comment on column uns_meta.canary_request_schedule.next_slot_at is 'The earliest time the next reserved request may be sent.';
insert into uns_meta.canary_request_schedule default values;

-- Reserves n consecutive slots at `rate` requests per second. Returns the delay in ms from now (the database
-- clock, after the row lock) until the first slot, and the spacing in ms between slots. Call it in autocommit
-- (the row lock is held to the end of the transaction).
create function uns_meta.canary_reserve_requests(n integer, rate double precision,
                                                 out first_slot_in_ms double precision, out spacing_ms double precision)
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  first_slot timestamptz;
begin
  if n is null or n < 1 or n > 10000 then
    raise exception using errcode = 'U0201',
      message = format('canary_reserve_requests: n must be 1..10000, got %s', coalesce(n::text, 'NULL'));
  end if;
  if rate is null or not rate > 0 or rate = 'Infinity' then
    raise exception using errcode = 'U0201',
      message = format('canary_reserve_requests: rate must be a positive number of requests per second, got %s', coalesce(rate::text, 'NULL'));
  end if;
  spacing_ms := 1000.0 / rate;
  update uns_meta.canary_request_schedule
     set next_slot_at = greatest(next_slot_at, clock_timestamp()) + make_interval(secs => n * spacing_ms / 1000.0)
   where singleton
  returning next_slot_at - make_interval(secs => n * spacing_ms / 1000.0) into first_slot;
  if first_slot is null then
    insert into uns_meta.canary_request_schedule (next_slot_at)
    values (clock_timestamp() + make_interval(secs => n * spacing_ms / 1000.0))
    returning next_slot_at - make_interval(secs => n * spacing_ms / 1000.0) into first_slot;
  end if;
  first_slot_in_ms := greatest(0, extract(epoch from first_slot - clock_timestamp()) * 1000);
end
$$;
comment on function uns_meta.canary_reserve_requests(integer, double precision) is
  'Reserves n Canary request slots at rate requests/s on the schedule shared by all workers: returns ms until the first slot and the spacing between slots.';
revoke all on function uns_meta.canary_reserve_requests(integer, double precision) from public;
grant execute on function uns_meta.canary_reserve_requests(integer, double precision) to uns_meta_app;

commit;
