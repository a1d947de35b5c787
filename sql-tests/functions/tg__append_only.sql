-- pgTAP: uns_meta.tg__append_only(), the guard of the history tables (metric_versions, metric_path_lineage,
-- device_path_lineage). Exercised here on a private temp table on which every role holds every privilege,
-- so that the trigger, not the grants, is what stops them; the per-table files check the real tables, where
-- the grants already stop uns_meta_app and uns_meta_ro first (42501) and the trigger is the second line.
begin;
\ir ../_session.psql
select plan(27);

select has_function('uns_meta', 'tg__append_only', array[]::name[], 'function uns_meta.tg__append_only() exists');
select function_returns('uns_meta', 'tg__append_only', array[]::name[], 'trigger', 'tg__append_only() returns trigger');
select function_lang_is('uns_meta', 'tg__append_only', array[]::name[], 'plpgsql', 'tg__append_only() is PL/pgSQL');
select volatility_is('uns_meta', 'tg__append_only', array[]::name[], 'volatile', 'tg__append_only() is volatile');
select isnt_definer('uns_meta', 'tg__append_only', array[]::name[],
                    'tg__append_only() is SECURITY INVOKER (it must see the caller as current_user)');
select is((select proconfig from pg_proc where oid = 'uns_meta.tg__append_only()'::regprocedure),
          array['search_path=pg_catalog'], 'tg__append_only() pins search_path = pg_catalog');
select function_owner_is('uns_meta', 'tg__append_only', array[]::name[], 'uns_meta_admin', 'tg__append_only() is owned by uns_meta_admin');
select function_privs_are('uns_meta', 'tg__append_only', array[]::name[], 'public', array[]::text[],
                          'PUBLIC cannot execute tg__append_only()');
select isnt(obj_description('uns_meta.tg__append_only()'::regprocedure, 'pg_proc'), null, 'tg__append_only() has a comment');

create temp table hist (id int primary key, note text);
create trigger _100_append_only before update or delete on hist for each row execute function uns_meta.tg__append_only();
create trigger _100_append_only_truncate before truncate on hist for each statement execute function uns_meta.tg__append_only();
grant all on hist to uns_meta_app, uns_meta_ro, uns_meta_cdc;
insert into hist values (1, 'one'), (2, 'two');

-- Every non-admin role is refused UPDATE, DELETE and TRUNCATE, even with the privileges.
set local role uns_meta_app;
select is(pg_temp.error_of('insert into hist values (3, ''three'')'), 'no error', 'uns_meta_app may append');
select alike(pg_temp.error_of('update hist set note = ''x'' where id = 1'),
             'U0102 append_only: pg\_temp\_%.hist is append-only: UPDATE is not allowed for role uns\_meta\_app',
             'uns_meta_app: UPDATE raises U0102 (constraint append_only) naming the table, operation and role');
select alike(pg_temp.error_of('update hist set note = note where id = 1'), 'U0102 append_only: %UPDATE%',
             'uns_meta_app: even an identical UPDATE raises U0102');
select alike(pg_temp.error_of('delete from hist where id = 1'),
             'U0102 append_only: pg\_temp\_%.hist is append-only: DELETE is not allowed for role uns\_meta\_app',
             'uns_meta_app: DELETE raises U0102');
select alike(pg_temp.error_of('truncate hist'),
             'U0102 append_only: pg\_temp\_%.hist is append-only: TRUNCATE is not allowed for role uns\_meta\_app',
             'uns_meta_app: TRUNCATE raises U0102');
select alike(pg_temp.error_of('delete from hist where false'), 'no error',
             'a DELETE that matches no row is harmless (row trigger)');
reset role;
set local role uns_meta_ro;
select alike(pg_temp.error_of('update hist set note = ''x'' where id = 1'), 'U0102 append_only: %UPDATE is not allowed for role uns\_meta\_ro',
             'uns_meta_ro: UPDATE raises U0102');
select alike(pg_temp.error_of('delete from hist where id = 1'), 'U0102 append_only: %DELETE is not allowed for role uns\_meta\_ro',
             'uns_meta_ro: DELETE raises U0102');
select alike(pg_temp.error_of('truncate hist'), 'U0102 append_only: %TRUNCATE is not allowed for role uns\_meta\_ro',
             'uns_meta_ro: TRUNCATE raises U0102');
reset role;
set local role uns_meta_cdc;
select alike(pg_temp.error_of('delete from hist where id = 1'), 'U0102 append_only: %DELETE is not allowed for role uns\_meta\_cdc',
             'uns_meta_cdc: DELETE raises U0102');
reset role;
select results_eq('select id, note from hist order by id', $$values (1, 'one'), (2, 'two'), (3, 'three')$$,
                  'the history is intact after the refused statements');

-- uns_meta_admin (DBA maintenance) may edit history.
update hist set note = note where id = 1;
update hist set note = note where id = 1;
select results_eq('select id, note from hist order by id', $$values (1, 'one'), (2, 'two'), (3, 'three')$$,
                  'uns_meta_admin: repeated identical UPDATEs pass and change nothing');
select lives_ok('update hist set note = ''uno'' where id = 1', 'uns_meta_admin may UPDATE');
select is((select note from hist where id = 1), 'uno', '... and the UPDATE is applied (the trigger returns NEW)');
select lives_ok('delete from hist where id = 2', 'uns_meta_admin may DELETE');
select is((select count(*)::int from hist where id = 2), 0, '... and the DELETE is applied (the trigger returns OLD)');
select lives_ok('truncate hist', 'uns_meta_admin may TRUNCATE');
select is((select count(*)::int from hist), 0, '... and the TRUNCATE is applied');

select * from finish();
rollback;
