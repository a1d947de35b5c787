-- The report of `make coverage-sql` (scripts/coverage-sql.ts), run as the superuser on the private cluster after
-- pg_prove ran sql-tests/ with plpgsql_check's profiler on (shared_preload_libraries, so every pg_prove session adds
-- to one profile). For every plpgsql function of schema uns_meta: its statement and branch coverage, then the
-- untested paths (statements never run whose enclosing statement did run, or the function's body when nothing ran),
-- then what plpgsql_check_function reports about it. SQL-language functions have no statements to profile.
\pset footer off
\pset null '-'

create temporary table plpgsql_functions on commit preserve rows as
select p.oid::regprocedure as fn,
       p.proname::text as name,
       -- A trigger function is checked against a table one of its triggers is on, with the transition tables
       -- (REFERENCING OLD/NEW TABLE) its triggers on that table name: its INSERT, UPDATE and DELETE triggers each
       -- name only some.
       t.relid, t.oldtable, t.newtable
  from pg_proc p
  join pg_namespace n on n.oid = p.pronamespace
  join pg_language l on l.oid = p.prolang
  left join lateral (select tgrelid::regclass as relid, max(tgoldtable) as oldtable, max(tgnewtable) as newtable
                       from pg_trigger where tgfoid = p.oid
                      group by tgrelid order by tgrelid limit 1) t on true
 where n.nspname = 'uns_meta' and l.lanname = 'plpgsql';

create temporary table plpgsql_statements on commit preserve rows as
select f.name, s.stmtid, s.parent_stmtid, s.lineno, s.exec_stmts, s.stmtname
  from plpgsql_functions f, plpgsql_check.plpgsql_profiler_function_statements_tb(f.fn) s;

\echo '== statement and branch coverage of the uns_meta plpgsql functions under pgTAP'
select f.name as function,
       count(s.stmtid) as statements,
       count(s.stmtid) filter (where s.exec_stmts > 0) as run,
       round(100.0 * count(s.stmtid) filter (where s.exec_stmts > 0) / nullif(count(s.stmtid), 0))::int as "statements %",
       -- plpgsql_check's own measure: the ways out of IF, CASE and loops taken (it says 100 % for a function that has
       -- none, run or not: shown as no figure)
       case when bool_or(s.stmtname in ('IF', 'CASE', 'LOOP', 'WHILE') or s.stmtname like 'FOR%')
            then round(100 * plpgsql_check.plpgsql_coverage_branches(f.fn))::int end as "branches %"
  from plpgsql_functions f
  left join plpgsql_statements s on s.name = f.name
 group by f.fn, f.name
 order by f.name;

\echo '== all uns_meta plpgsql functions together'
select count(*) as statements,
       count(*) filter (where exec_stmts > 0) as run,
       round(100.0 * count(*) filter (where exec_stmts > 0) / nullif(count(*), 0), 1) as "statements %"
  from plpgsql_statements;

\echo '== untested paths: statements never run whose enclosing statement ran (nested: the never-run statements inside)'
with recursive below(name, top, stmtid) as (
  select name, stmtid, stmtid from plpgsql_statements
  union all
  select s.name, b.top, s.stmtid from below b join plpgsql_statements s on s.name = b.name and s.parent_stmtid = b.stmtid
)
select s.name as function,
       s.lineno as line,
       s.stmtname as statement,
       (select count(*) - 1 from below b where b.name = s.name and b.top = s.stmtid) as nested,
       btrim(src.source) as source
  from plpgsql_statements s
  join plpgsql_functions f on f.name = s.name
  left join plpgsql_statements parent on parent.name = s.name and parent.stmtid = s.parent_stmtid
  left join lateral (select source from plpgsql_check.plpgsql_profiler_function_tb(f.fn) where lineno = s.lineno) src on true
 where s.exec_stmts = 0 and (parent.stmtid is null or parent.exec_stmts > 0)
 order by s.name, s.lineno, s.stmtid;

\echo '== plpgsql_check_function (errors, warnings, extra warnings) on every uns_meta plpgsql function'
-- plpgsql_check checks each query against the tables that exist when it runs: the session's temporary tables are
-- made first, as the code makes them (the staging tables of ingest_birth, the work tables of reapply_path_rules, a
-- dry run on the tested-and-rolled-back, so empty, catalog), in one transaction with the profiler off.
begin;
set local plpgsql_check.profiler = off;
select uns_meta.ingest_birth_prepare_session() \g /dev/null
select uns_meta.reapply_path_rules(dry_run => true) \g /dev/null
select f.name as function, c.lineno as line, c.level, c.sqlstate, c.message, c.statement
  from plpgsql_functions f,
       plpgsql_check.plpgsql_check_function_tb(f.fn, coalesce(f.relid, 0), oldtable => f.oldtable, newtable => f.newtable) c
 order by f.name, c.lineno;
rollback;
