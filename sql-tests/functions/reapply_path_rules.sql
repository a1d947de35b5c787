-- pgTAP: the helpers of functions/reapply_path_rules. uns_meta.metric_base_path(base, name) is the normalised path of
-- a metric before rewrites (metric_uns_path is rewrite_path of it); uns_meta.explain_path_rewrite(path) names the
-- enabled path_rewrite_rules that change a normalised path, in rule_id order, or says that none does.
-- reapply_path_rules itself, and the lineage reasons it writes with them: sql-tests/functions/ingest_birth/path_rules.sql.
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(39);

-- 1. Structure ----------------------------------------------------------------------------------------------------
select has_function('uns_meta', f, args, format('function uns_meta.%s exists', f))
  from (values ('metric_base_path', array['text', 'text']), ('explain_path_rewrite', array['text'])) as t(f, args);
select volatility_is('uns_meta', f, args, 'stable', format('%s is stable', f))
  from (values ('metric_base_path', array['text', 'text']), ('explain_path_rewrite', array['text'])) as t(f, args);
select isnt_definer('uns_meta', f, args, format('%s is SECURITY INVOKER', f))
  from (values ('metric_base_path', array['text', 'text']), ('explain_path_rewrite', array['text'])) as t(f, args);
select is((select proconfig from pg_proc where oid = f::regprocedure), array['search_path=pg_catalog'], format('%s pins search_path = pg_catalog', f))
  from unnest(array['uns_meta.metric_base_path(text,text)', 'uns_meta.explain_path_rewrite(text)']) as f;
select function_privs_are('uns_meta', f, args, r, case when r = 'public' then array[]::text[] else array['EXECUTE'] end,
                          format('%s %s execute %s', r, case when r = 'public' then 'may not' else 'may' end, f))
  from (values ('metric_base_path', array['text', 'text']), ('explain_path_rewrite', array['text'])) as t(f, args),
       unnest(array['public', 'uns_meta_app', 'uns_meta_ro']) as r;
select isnt(obj_description(f::regprocedure, 'pg_proc'), null, format('%s has a comment', f))
  from unnest(array['uns_meta.metric_base_path(text,text)', 'uns_meta.explain_path_rewrite(text)']) as f;

-- 2. metric_base_path: metric_uns_path without the rewrite ------------------------------------------------------------
insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('^G/E/D/Maceira/', 'G/E/D/Maceira-Liz/', 'test: plant renamed');
select is(uns_meta.metric_base_path('G/E/D', 'Maceira/Tag'), 'G/E/D/Maceira/Tag', 'metric_base_path ignores the rewrite rules');
select is(uns_meta.metric_uns_path('G/E/D', 'Maceira/Tag'), 'G/E/D/Maceira-Liz/Tag', '... which metric_uns_path applies');
-- Names of every shape, with their normalised paths written out: metric_base_path gives them, and metric_uns_path is
-- rewrite_path of them (NULL when the name, or the device, normalises to nothing).
create temp table cases (b text, n text, base text);
insert into cases values
  ('G/E/D', 'Maceira/Tag', 'G/E/D/Maceira/Tag'),
  ('G/E/D', '/a//b/ /c/', 'G/E/D/a/b/c'),
  ('G/E/D', 'Maceira/400 - Clinker/Kiln  Temp', 'G/E/D/Maceira/400 - Clinker/Kiln Temp'),
  ('G/E/D', '/ _ /', null),
  ('G/E/D', '🔥', null),
  ('G/E/D', null, null),
  (null, 'Maceira/Tag', null);
select is(uns_meta.metric_base_path(b, n), base, format('metric_base_path(%s, %s)', coalesce(b, 'NULL'), coalesce(n, 'NULL'))) from cases;
select is(uns_meta.metric_uns_path(b, n), uns_meta.rewrite_path(base),
          format('metric_uns_path(%s, %s) = rewrite_path of it', coalesce(b, 'NULL'), coalesce(n, 'NULL'))) from cases;

-- 3. explain_path_rewrite ------------------------------------------------------------------------------------------------
delete from uns_meta.path_rewrite_rules;
select uns_meta.path_rules_version() as v0 \gset
select is(uns_meta.explain_path_rewrite('G/E/D/Maceira/Tag'),
          format('no path_rewrite_rules rule applies, the path is the normalised one (segment_normalisation_rules); path rules version %s', :'v0'),
          'no rule at all: the path is the normalised one, with the rules version');
select is(uns_meta.explain_path_rewrite(null), null, 'NULL for NULL');

with ids as (
  insert into uns_meta.path_rewrite_rules (pattern, replacement, description)
  values ('^G/E/D/Maceira/', 'G/E/D/Maceira-Liz/', 'plant Maceira renamed (ticket 42)'),
         ('^Other/', 'Elsewhere/', 'another plant'),
         ('/Tag$', '/Tag', 'matches but changes nothing'),
         ('Maceira-Liz', 'Liz', 'sees the previous rule''s output'),
         ('^G/E/D/Liz/', 'never/', 'disabled')
  returning rule_id, description)
select max(rule_id) filter (where description like 'plant%') as r1, max(rule_id) filter (where description like 'sees%') as r4,
       max(rule_id) filter (where description = 'disabled') as r5
  from ids \gset
update uns_meta.path_rewrite_rules set enabled = false where rule_id = :r5;
select uns_meta.path_rules_version() as v1 \gset
select is(uns_meta.rewrite_path('G/E/D/Maceira/Tag'), 'G/E/D/Liz/Tag', 'the rules give G/E/D/Liz/Tag (chained)');
select is(uns_meta.explain_path_rewrite('G/E/D/Maceira/Tag'),
          format('path_rewrite_rules %s "plant Maceira renamed (ticket 42)", %s "sees the previous rule''s output"; path rules version %s', :r1, :r4, :'v1'),
          'the rules that change the path, in rule_id order (a later rule seeing an earlier one''s output), not those that do not match, change nothing or are disabled');
select is(uns_meta.explain_path_rewrite('G/E/X/Tag'),
          format('no path_rewrite_rules rule applies, the path is the normalised one (segment_normalisation_rules); path rules version %s', :'v1'),
          'a path no enabled rule changes: says so, with the current rules version');
select isnt(:'v1'::text, :'v0'::text, '(the rules version names the rules in force: it changed with them)');
update uns_meta.path_rewrite_rules set enabled = false where rule_id = :r1;
select is(uns_meta.explain_path_rewrite('G/E/D/Maceira/Tag'),
          format('no path_rewrite_rules rule applies, the path is the normalised one (segment_normalisation_rules); path rules version %s', uns_meta.path_rules_version()),
          'the first rule disabled: the second no longer sees its output, so none applies');

select * from finish();
rollback;
