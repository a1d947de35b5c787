-- pgTAP: uns_meta.path_rewrite_rules, the DBA's rewrites of whole UNS paths (e.g. a renamed plant), applied in
-- rule_id order after normalisation. What the compiled rewrite does: sql-tests/functions/path_rules.sql; at ingest:
-- sql-tests/functions/ingest_birth/path_rules.sql.
-- Timestamps: see sql-tests/functions/tg__timestamps.sql for why rows get explicit past timestamps.
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(53);

-- Structure.
select has_table('uns_meta', 'path_rewrite_rules', 'table uns_meta.path_rewrite_rules exists');
select table_owner_is('uns_meta', 'path_rewrite_rules', 'uns_meta_admin', 'it is owned by uns_meta_admin');
select columns_are('uns_meta', 'path_rewrite_rules',
                   array['rule_id', 'pattern', 'replacement', 'flags', 'enabled', 'description', 'created_by', 'created_at', 'updated_at'],
                   'path_rewrite_rules has exactly its columns');
select col_type_is('uns_meta', 'path_rewrite_rules', c, t, format('path_rewrite_rules.%s is %s', c, t))
  from (values ('rule_id', 'integer'), ('pattern', 'text'), ('replacement', 'text'), ('flags', 'text'), ('enabled', 'boolean'),
               ('description', 'text'), ('created_by', 'text'), ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone')) as t(c, t);
select col_not_null('uns_meta', 'path_rewrite_rules', c, format('path_rewrite_rules.%s is NOT NULL', c))
  from unnest(array['rule_id', 'pattern', 'replacement', 'flags', 'enabled', 'description', 'created_by', 'created_at', 'updated_at']) as c;
select is((select attidentity::text from pg_attribute where attrelid = 'uns_meta.path_rewrite_rules'::regclass and attname = 'rule_id'),
          'a', 'rule_id is GENERATED ALWAYS AS IDENTITY (the order of application)');
select col_default_is('uns_meta', 'path_rewrite_rules', 'flags', '', 'flags default to '''' (first match only)');
select col_default_is('uns_meta', 'path_rewrite_rules', 'enabled', 'true', 'enabled defaults to true');
select col_default_is('uns_meta', 'path_rewrite_rules', 'created_by', 'CURRENT_USER', 'created_by defaults to CURRENT_USER');
select col_is_pk('uns_meta', 'path_rewrite_rules', 'rule_id', 'the primary key is rule_id');
select bag_eq($$select conname::text, contype::text from pg_constraint where conrelid = 'uns_meta.path_rewrite_rules'::regclass and contype <> 'n'$$,
              $$values ('path_rewrite_rules_pkey', 'p'), ('chk_path_rewrite_rules_flags', 'c')$$, 'path_rewrite_rules has exactly its constraints');
select triggers_are('uns_meta', 'path_rewrite_rules', array['_100_timestamps', '_900_compile'], 'it has the timestamps and the compile triggers');
select trigger_is('uns_meta', 'path_rewrite_rules', '_900_compile', 'uns_meta', 'tg__compile_path_rules', '_900_compile calls tg__compile_path_rules()');
select isnt(obj_description('uns_meta.path_rewrite_rules'::regclass, 'pg_class'), null, 'it has a table comment');
select is((select array_agg(attname::text order by attnum) from pg_attribute
            where attrelid = 'uns_meta.path_rewrite_rules'::regclass and attnum > 0 and not attisdropped
              and coalesce(col_description(attrelid, attnum), '') = ''),
          null, 'every column has a comment');

-- Privileges.
select table_privs_are('uns_meta', 'path_rewrite_rules', 'uns_meta_admin',
                       array['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE'], 'uns_meta_admin owns it');
select table_privs_are('uns_meta', 'path_rewrite_rules', r, array['SELECT'], format('%s may only read it', r))
  from unnest(array['uns_meta_app', 'uns_meta_ro']) as r;
select table_privs_are('uns_meta', 'path_rewrite_rules', r, array[]::text[], format('%s has no privilege on it', r))
  from unnest(array['uns_meta_cdc', 'public']) as r;
set local role uns_meta_app;
select throws_ok($$insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('a', 'b', 'x')$$, '42501',
                 'permission denied for table path_rewrite_rules', 'uns_meta_app cannot add a rule');
select is((select count(*)::int from uns_meta.path_rewrite_rules), 0, 'uns_meta_app reads the rules');
reset role;

-- Empty by default; the documented example.
select is((select count(*)::int from uns_meta.path_rewrite_rules), 0, 'no rule is seeded');
insert into uns_meta.path_rewrite_rules (pattern, replacement, description)
  values ('^(Secil/Portugal/Cement)/Outão(/|$)', '\1/Outao\2', 'Plant Outão renamed Outao');
select results_eq($$select flags, enabled, created_by, created_at = now(), updated_at = now() from uns_meta.path_rewrite_rules$$,
                  $$values ('', true, 'uns_meta_admin'::text, true, true)$$, 'a rule gets the defaults: first match, enabled, created_by the DBA role, now()');
select is(uns_meta.rewrite_path('Secil/Portugal/Cement/Outão/400 - Clinker/Tag'), 'Secil/Portugal/Cement/Outao/400 - Clinker/Tag',
          'the table comment''s example renames the plant');
insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('x', 'y', 'second');
select results_eq($$select description from uns_meta.path_rewrite_rules order by rule_id$$, $$values ('Plant Outão renamed Outao'), ('second')$$,
                  'rule_ids increase in insertion order');

-- Constraints.
select throws_ok(format($$insert into uns_meta.path_rewrite_rules (pattern, replacement, flags, description) values ('a', 'b', %L, 'x')$$, f),
                 '23514', 'new row for relation "path_rewrite_rules" violates check constraint "chk_path_rewrite_rules_flags"', format('flags %L are refused', f))
  from unnest(array['G', 'y', 'g;']) as f;
select throws_ok(format($$insert into uns_meta.path_rewrite_rules (%s) values (%s)$$, cols, vals), '23502',
                 format('null value in column "%s" of relation "path_rewrite_rules" violates not-null constraint', c), format('%s cannot be NULL', c))
  from (values ('pattern', 'pattern, replacement, description', 'null, ''b'', ''x'''),
               ('replacement', 'pattern, replacement, description', '''a'', null, ''x'''),
               ('description', 'pattern, replacement, description', '''a'', ''b'', null')) as t(c, cols, vals);
select throws_ok($$insert into uns_meta.path_rewrite_rules (rule_id, pattern, replacement, description) values (1, 'a', 'b', 'x')$$, '428C9',
                 'cannot insert a non-DEFAULT value into column "rule_id"', 'rule_id is generated (OVERRIDING SYSTEM VALUE to place a rule)');
select throws_ok($$insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('(', 'b', 'x')$$, 'U0103', null,
                 'an invalid regular expression is refused (U0103)');

-- Timestamps.
insert into uns_meta.path_rewrite_rules (rule_id, pattern, replacement, description, created_at, updated_at) overriding system value
  values (500, 'p', 'q', 'test', '2001-01-01 00:00:00+00', '2001-01-02 00:00:00+00');
update uns_meta.path_rewrite_rules set pattern = pattern where rule_id = 500;
select is((select updated_at from uns_meta.path_rewrite_rules where rule_id = 500), '2001-01-02 00:00:00+00'::timestamptz,
          'an identical UPDATE leaves updated_at');
update uns_meta.path_rewrite_rules set enabled = false where rule_id = 500;
select is((select updated_at from uns_meta.path_rewrite_rules where rule_id = 500), now(), 'a real change moves updated_at to now()');
select throws_ok($$update uns_meta.path_rewrite_rules set created_at = now() where rule_id = 500$$, 'U0101', null, 'created_at cannot change (U0101)');

select * from finish();
rollback;
