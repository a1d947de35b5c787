-- pgTAP: the path rules (deploy/functions/path_rules.sql). The rule tables are compiled into two generated SQL
-- functions, uns_meta.normalise_segment(seg) and uns_meta.rewrite_path(path), by uns_meta.compile_path_rules(),
-- run by a statement trigger on each rule table; an invalid regular expression is refused with U0103.
-- Path composition: uns_meta.device_base_path(group, edge, device) and uns_meta.metric_uns_path(base, name).
-- Their use by ingest_birth: sql-tests/functions/ingest_birth/path_rules.sql.
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(98);

-- 1. Structure ----------------------------------------------------------------------------------------------------
select has_function('uns_meta', f, args, format('function uns_meta.%s exists', f))
  from (values ('compile_path_rules', array[]::name[]), ('normalise_segment', array['text']), ('rewrite_path', array['text']),
               ('tg__compile_path_rules', array[]::name[]), ('device_base_path', array['text', 'text', 'text']),
               ('metric_uns_path', array['text', 'text'])) as t(f, args);
select volatility_is('uns_meta', f, args, v, format('%s is %s', f, v))
  from (values ('compile_path_rules', array[]::name[], 'volatile'), ('normalise_segment', array['text'], 'stable'),
               ('rewrite_path', array['text'], 'stable'), ('device_base_path', array['text', 'text', 'text'], 'stable'),
               ('metric_uns_path', array['text', 'text'], 'stable')) as t(f, args, v);
select is_strict('uns_meta', f, array['text'], format('%s is strict', f)) from unnest(array['normalise_segment', 'rewrite_path']) as f;
select function_lang_is('uns_meta', f, array['text'], 'sql', format('%s is generated SQL (inlinable)', f)) from unnest(array['normalise_segment', 'rewrite_path']) as f;
select is((select proparallel from pg_proc where oid = format('uns_meta.%s(text)', f)::regprocedure), 's', format('%s is parallel safe', f))
  from unnest(array['normalise_segment', 'rewrite_path']) as f;
select is((select proconfig from pg_proc where oid = format('uns_meta.%s()', f)::regprocedure), array['search_path=pg_catalog'],
          format('%s pins search_path = pg_catalog', f))
  from unnest(array['compile_path_rules', 'tg__compile_path_rules']) as f;
select function_privs_are('uns_meta', f, array[]::name[], r, array[]::text[], format('%s may not execute %s()', r, f))
  from unnest(array['compile_path_rules', 'tg__compile_path_rules']) as f, unnest(array['public', 'uns_meta_app', 'uns_meta_ro']) as r;
select function_privs_are('uns_meta', f, args, r, array['EXECUTE'], format('%s may execute %s', r, f))
  from (values ('normalise_segment', array['text']), ('rewrite_path', array['text']), ('device_base_path', array['text', 'text', 'text']),
               ('metric_uns_path', array['text', 'text'])) as t(f, args),
       unnest(array['uns_meta_app', 'uns_meta_ro']) as r;
select isnt(obj_description(p.oid, 'pg_proc'), null, format('%s has a comment', p.oid::regprocedure))
  from pg_proc as p where p.pronamespace = 'uns_meta'::regnamespace
   and p.proname in ('compile_path_rules', 'normalise_segment', 'rewrite_path', 'tg__compile_path_rules', 'device_base_path', 'metric_uns_path')
 order by p.proname;
select trigger_is('uns_meta', t, '_900_compile', 'uns_meta', 'tg__compile_path_rules', format('%s._900_compile calls tg__compile_path_rules()', t))
  from unnest(array['segment_normalisation_rules', 'path_rewrite_rules']) as t;
-- tgtype bits: 1 ROW, 2 BEFORE, 4 INSERT, 8 DELETE, 16 UPDATE, 32 TRUNCATE.
select is((select tgtype::int from pg_trigger where tgrelid = format('uns_meta.%s', t)::regclass and tgname = '_900_compile'), 4 | 8 | 16 | 32,
          format('%s._900_compile fires AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE FOR EACH STATEMENT', t))
  from unnest(array['segment_normalisation_rules', 'path_rewrite_rules']) as t;

-- 2. The default normaliser (the plant's final one) ---------------------------------------------------------------
select is(uns_meta.normalise_segment(seg), expected, descr)
  from (values
    ('400 - Clinker Production', '400 - Clinker Production', 'single spaces and " - " are kept'),
    ('Kiln  Temp', 'Kiln Temp', 'a run of spaces collapses to one'),
    (E'Kiln\t\nTemp', 'Kiln Temp', 'tabs and newlines are whitespace too'),
    ('  Kiln ', 'Kiln', 'leading and trailing spaces are stripped'),
    ('Outa' || U&'\0303' || 'o', 'Outão', 'Unicode NFC: a decomposed accent is composed'),
    ('FORA SERVIÇO', 'FORA SERVIÇO', 'accented letters are letters'),
    ('BYPVT603INT02', 'BYPVT603INT02', 'letters and digits pass'),
    ('a.b_c-d', 'a.b_c-d', '".", "_" and "-" are kept'),
    ('H32.1#(2)', 'H32.1_2', 'other characters become "_", runs collapse, trailing "_" stripped'),
    ('a+b', 'a_b', '"+" becomes "_"'),
    ('a__b', 'a_b', 'a run of "_" collapses'),
    ('a---b', 'a-b', 'a run of "-" collapses'),
    ('a_-_b', 'a_-_b', 'alternating "_" and "-" are not runs'),
    ('__a--', 'a', 'leading "_" and trailing "-" are stripped'),
    ('- x -', 'x', 'leading and trailing " - " are stripped'),
    ('°C', 'C', '"°" is not a letter'),
    ('🔥', '', 'a segment of symbols only becomes empty'),
    ('', '', 'the empty segment stays empty')) as t(seg, expected, descr);
select is(uns_meta.normalise_segment(null), null, 'normalise_segment(NULL) is NULL');
select is(uns_meta.rewrite_path('Secil/Portugal/Cement/Outão/x'), 'Secil/Portugal/Cement/Outão/x', 'with no rewrite rule, rewrite_path is the identity');

-- 3. Composition -----------------------------------------------------------------------------------------------------
select is(uns_meta.device_base_path('Secil', 'Portugal', 'Cement'), 'Secil/Portugal/Cement', 'device_base_path: <group>/<edge>/<device>');
select is(uns_meta.device_base_path('G  1', 'E#', 'D'), 'G 1/E/D', 'device_base_path normalises each id');
select is(uns_meta.device_base_path('G', '__', 'D'), null, 'device_base_path is NULL when an id normalises to nothing');
select is(uns_meta.metric_uns_path('G/E/D', 'Maceira/400 - Clinker Production/Kiln  Temp'), 'G/E/D/Maceira/400 - Clinker Production/Kiln Temp',
          'metric_uns_path: the name is split on "/" and each segment normalised');
select is(uns_meta.metric_uns_path('G/E/D', '/a//b/ /c/'), 'G/E/D/a/b/c', 'empty segments (and segments that normalise to nothing) are dropped');
select is(uns_meta.metric_uns_path('G/E/D', '/ _ /'), null, 'metric_uns_path is NULL when the whole name normalises to nothing');

-- 4. Recompilation by the triggers -------------------------------------------------------------------------------------
insert into uns_meta.segment_normalisation_rules (step, action, pattern, replacement, flags, description)
  values (25, 'regexp_replace', ' ', '_', 'g', 'test: spaces to "_" (the earlier normaliser)');
select is(uns_meta.normalise_segment('400 - Clinker Production'), '400_-_Clinker_Production', 'INSERT of a step recompiles normalise_segment()');
update uns_meta.segment_normalisation_rules set replacement = '~' where step = 25;
select is(uns_meta.normalise_segment('a b'), 'a_b', 'UPDATE recompiles (step 30 then turns "~" into "_")');
update uns_meta.segment_normalisation_rules set step = 65 where step = 25;
select is(uns_meta.normalise_segment('a b'), 'a~b', 'steps apply in step order: moved after step 30, "~" stays');
update uns_meta.segment_normalisation_rules set enabled = false where step = 65;
select is(uns_meta.normalise_segment('a b'), 'a b', 'a disabled step is skipped');
delete from uns_meta.segment_normalisation_rules where step = 65;
update uns_meta.segment_normalisation_rules set flags = '' where step = 20;
select is(uns_meta.normalise_segment('a  b  c'), 'a b  c', 'flags are honoured (without g only the first match is replaced)');
update uns_meta.segment_normalisation_rules set flags = 'g' where step = 20;
update uns_meta.segment_normalisation_rules set enabled = false where step = 10;
select is(uns_meta.normalise_segment('Outa' || U&'\0303' || 'o'), 'Outa_o', 'without the NFC step a combining mark is not a letter');
update uns_meta.segment_normalisation_rules set enabled = true where step = 10;
create temp table saved_rules as select * from uns_meta.segment_normalisation_rules;
truncate uns_meta.segment_normalisation_rules;
select is(uns_meta.normalise_segment(' a  b# '), ' a  b# ', 'TRUNCATE recompiles: with no step the normaliser is the identity');
insert into uns_meta.segment_normalisation_rules select * from saved_rules;
select is(uns_meta.normalise_segment(' a  b# '), 'a b', 'restoring the rows restores the normaliser');

insert into uns_meta.path_rewrite_rules (pattern, replacement, description)
  values ('^(Secil/Portugal/Cement)/Outão(/|$)', '\1/Outao\2', 'Plant Outão renamed Outao');
select is(uns_meta.rewrite_path('Secil/Portugal/Cement/Outão/400 - Clinker/Tag'), 'Secil/Portugal/Cement/Outao/400 - Clinker/Tag',
          'INSERT of a rewrite rule recompiles rewrite_path()');
select is(uns_meta.rewrite_path('Secil/Portugal/Cement/Outão'), 'Secil/Portugal/Cement/Outao', '... the rule also matches the folder itself');
select is(uns_meta.rewrite_path('Secil/Portugal/Cement/Outãozinho/x'), 'Secil/Portugal/Cement/Outãozinho/x', '... and not a longer segment');
select is(uns_meta.metric_uns_path('Secil/Portugal/Cement', 'Outão/Tag'), 'Secil/Portugal/Cement/Outao/Tag', 'metric_uns_path applies the rewrite rules');
insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('/Outao/', '/Outão-Renamed/', 'test: a second rule');
select is(uns_meta.rewrite_path('Secil/Portugal/Cement/Outão/Tag'), 'Secil/Portugal/Cement/Outão-Renamed/Tag',
          'rules apply in rule_id order, each to the result of the previous one');
update uns_meta.path_rewrite_rules set enabled = false where description = 'test: a second rule';
select is(uns_meta.rewrite_path('Secil/Portugal/Cement/Outão/Tag'), 'Secil/Portugal/Cement/Outao/Tag', 'a disabled rule is skipped');
insert into uns_meta.path_rewrite_rules (pattern, replacement, flags, description) values ('a', 'b', 'g', 'test: flags');
select is(uns_meta.rewrite_path('a/a'), 'b/b', 'rule flags are honoured (g: every match)');
delete from uns_meta.path_rewrite_rules;
select is(uns_meta.rewrite_path('Secil/Portugal/Cement/Outão/Tag'), 'Secil/Portugal/Cement/Outão/Tag', 'DELETE recompiles: identity again');
select matches(pg_get_functiondef('uns_meta.rewrite_path(text)'::regprocedure), 'select path\$function\$',
               'with no rule the generated body is just the path');

-- 5. Invalid rules: U0103, naming the rule; the statement and the functions are unchanged -------------------------------
select pg_get_functiondef('uns_meta.normalise_segment(text)'::regprocedure) as seg_def,
       pg_get_functiondef('uns_meta.rewrite_path(text)'::regprocedure) as path_def \gset
select is(pg_temp.error_of($$insert into uns_meta.segment_normalisation_rules (step, action, pattern, replacement, description)
                             values (99, 'regexp_replace', '(', '_', 'test')$$),
          'U0103 chk_segment_normalisation_rules_regexp: segment_normalisation_rules step 99: invalid regular expression: parentheses () not balanced',
          'an invalid segment rule: U0103, constraint chk_segment_normalisation_rules_regexp, naming the step and the regexp error');
select is(pg_temp.error_of($$update uns_meta.segment_normalisation_rules set pattern = '*' where step = 30$$),
          'U0103 chk_segment_normalisation_rules_regexp: segment_normalisation_rules step 30: invalid regular expression: quantifier operand invalid',
          '... also for an UPDATE of a default step');
select is(pg_temp.error_of($$insert into uns_meta.path_rewrite_rules (rule_id, pattern, replacement, description) overriding system value
                             values (1000, '[', 'x', 'test')$$),
          'U0103 chk_path_rewrite_rules_regexp: path_rewrite_rules rule 1000: invalid regular expression: brackets [] not balanced',
          'an invalid rewrite rule: U0103, constraint chk_path_rewrite_rules_regexp, naming the rule');
select is(pg_temp.error_of($$insert into uns_meta.path_rewrite_rules (rule_id, pattern, replacement, enabled, description) overriding system value
                             values (1001, '[', 'x', false, 'test')$$),
          'no error', 'a disabled rule is not compiled, so not checked (it is checked when enabled)');
select is(pg_temp.error_of($$update uns_meta.path_rewrite_rules set enabled = true where rule_id = 1001$$),
          'U0103 chk_path_rewrite_rules_regexp: path_rewrite_rules rule 1001: invalid regular expression: brackets [] not balanced',
          '... enabling it is refused');
delete from uns_meta.path_rewrite_rules where rule_id = 1001;
select is(pg_get_functiondef('uns_meta.normalise_segment(text)'::regprocedure), :'seg_def', 'normalise_segment() is unchanged by the refused statements');
select is(pg_get_functiondef('uns_meta.rewrite_path(text)'::regprocedure), :'path_def', 'rewrite_path() is unchanged by the refused statements');
select results_eq($$select step, pattern from uns_meta.segment_normalisation_rules order by step$$,
                  $$select step, pattern from saved_rules order by step$$, 'segment_normalisation_rules is unchanged by the refused statements');

-- 6. Who may change the rules -------------------------------------------------------------------------------------------
set local role uns_meta_app;
select throws_ok($$insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('a', 'b', 'x')$$, '42501',
                 'permission denied for table path_rewrite_rules', 'uns_meta_app cannot add a rewrite rule');
select throws_ok($$update uns_meta.segment_normalisation_rules set enabled = false$$, '42501',
                 'permission denied for table segment_normalisation_rules', 'uns_meta_app cannot change the normaliser');
select throws_ok($$select uns_meta.compile_path_rules()$$, '42501', 'permission denied for function compile_path_rules',
                 'uns_meta_app cannot run compile_path_rules()');
select is(uns_meta.normalise_segment('a  b'), 'a b', 'uns_meta_app uses the compiled normaliser');
reset role;

select * from finish();
rollback;
