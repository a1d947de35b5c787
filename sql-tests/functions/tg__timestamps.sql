-- pgTAP: uns_meta.tg__timestamps(), the BEFORE UPDATE trigger of the mutable tables.
--
-- Method for observing updated_at inside one test transaction: now() is the transaction's start time, so a
-- row inserted by the test and then really changed would get the same updated_at again. Rows are therefore
-- inserted with explicit past created_at / updated_at (INSERT does not fire this BEFORE UPDATE trigger, so
-- the values stick). An identical UPDATE must leave updated_at at that past value; a real change must move
-- it to now(), which differs from it. The value before each step is kept in a temp table and compared.
-- The trigger is exercised on a private temp table here; the per-table files check the real tables.
begin;
\ir ../_session.psql
select plan(25);

select has_function('uns_meta', 'tg__timestamps', array[]::name[], 'function uns_meta.tg__timestamps() exists');
select function_returns('uns_meta', 'tg__timestamps', array[]::name[], 'trigger', 'tg__timestamps() returns trigger');
select function_lang_is('uns_meta', 'tg__timestamps', array[]::name[], 'plpgsql', 'tg__timestamps() is PL/pgSQL');
select volatility_is('uns_meta', 'tg__timestamps', array[]::name[], 'volatile', 'tg__timestamps() is volatile');
select isnt_definer('uns_meta', 'tg__timestamps', array[]::name[], 'tg__timestamps() is SECURITY INVOKER');
select is((select proconfig from pg_proc where oid = 'uns_meta.tg__timestamps()'::regprocedure),
          array['search_path=pg_catalog'], 'tg__timestamps() pins search_path = pg_catalog');
select function_owner_is('uns_meta', 'tg__timestamps', array[]::name[], 'uns_meta_admin', 'tg__timestamps() is owned by uns_meta_admin');
select function_privs_are('uns_meta', 'tg__timestamps', array[]::name[], 'public', array[]::text[],
                          'PUBLIC cannot execute tg__timestamps()');
select isnt(obj_description('uns_meta.tg__timestamps()'::regprocedure, 'pg_proc'), null, 'tg__timestamps() has a comment');

create temp table tt (
  id         int primary key,
  x          int,
  g          int generated always as (x * 2) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger _100_timestamps before update on tt for each row execute function uns_meta.tg__timestamps('g');
insert into tt (id, x, created_at, updated_at) values (1, 1, '2001-01-01 00:00:00+00', '2001-01-02 00:00:00+00');
create temp table seen as select id, created_at, updated_at from tt;

update tt set x = x where id = 1;
select is((select updated_at from tt where id = 1), (select updated_at from seen where id = 1),
          'identical UPDATE leaves updated_at unchanged');
update tt set x = x, id = id where id = 1;
select is((select updated_at from tt where id = 1), (select updated_at from seen where id = 1),
          'a second identical UPDATE leaves updated_at unchanged too');
update tt set updated_at = '2030-01-01 00:00:00+00' where id = 1;
select is((select updated_at from tt where id = 1), (select updated_at from seen where id = 1),
          'an UPDATE of updated_at alone is ignored (updated_at is not a user column)');
select is((select created_at from tt where id = 1), timestamptz '2001-01-01 00:00:00+00',
          'created_at is kept by identical UPDATEs');

update tt set x = 2 where id = 1;
select isnt((select updated_at from tt where id = 1), (select updated_at from seen where id = 1),
            'a real change moves updated_at');
select is((select updated_at from tt where id = 1), now(), 'a real change sets updated_at = now()');
select is((select g from tt where id = 1), 4, 'the generated column follows the change');
update seen set updated_at = tt.updated_at from tt where seen.id = tt.id;
update tt set x = 2 where id = 1;
update tt set x = 2 where id = 1;
select is((select updated_at from tt where id = 1), (select updated_at from seen where id = 1),
          'repeating the change is idempotent');

-- created_at is immutable.
select alike(pg_temp.error_of('update tt set created_at = created_at + interval ''1 second'' where id = 1'),
             'U0101 created_at_immutable: pg\_temp\_%.tt.created\_at cannot change (it stays 2001-01-01 00:00:00+00)',
             'changing created_at raises U0101, constraint created_at_immutable, naming the table and the kept value');
select alike(pg_temp.error_of('update tt set created_at = now() where id = 1'), 'U0101 created_at_immutable: %',
             'moving created_at to now() raises U0101 too');
select alike(pg_temp.error_of('update tt set created_at = null where id = 1'), 'U0101 created_at_immutable: %',
             'setting created_at to NULL raises U0101 too');
select is(pg_temp.error_of('update tt set created_at = created_at, x = 3 where id = 1'), 'no error',
          'an UPDATE naming created_at with its own value is allowed');

-- Why the arguments exist: a BEFORE trigger sees a GENERATED column as NULL in NEW, so without naming it
-- every identical UPDATE would look like a change.
create temp table tt_noarg (
  id         int primary key,
  x          int,
  g          int generated always as (x * 2) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger _100_timestamps before update on tt_noarg for each row execute function uns_meta.tg__timestamps();
insert into tt_noarg (id, x, created_at, updated_at) values (1, 1, '2001-01-01 00:00:00+00', '2001-01-01 00:00:00+00');
update tt_noarg set x = x;
select is((select updated_at from tt_noarg), now(),
          'without the generated column as argument an identical UPDATE would move updated_at (why metrics passes canary_id)');

-- Several arguments: every named column is left out of the comparison.
create temp table tt_multi (
  id         int primary key,
  x          int,
  note       text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger _100_timestamps before update on tt_multi for each row execute function uns_meta.tg__timestamps('note', 'unused');
insert into tt_multi (id, x, note, created_at, updated_at) values (1, 1, 'a', '2001-01-01 00:00:00+00', '2001-01-01 00:00:00+00');
update tt_multi set note = 'b';
select is((select updated_at from tt_multi), timestamptz '2001-01-01 00:00:00+00',
          'a change only in an ignored column leaves updated_at unchanged');
select is((select note from tt_multi), 'b', '... but the ignored column is still written');
update tt_multi set x = 5;
select is((select updated_at from tt_multi), now(), 'a change in another column still moves updated_at');

select * from finish();
rollback;
