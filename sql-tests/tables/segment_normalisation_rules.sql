-- pgTAP: uns_meta.segment_normalisation_rules, the DBA-editable segment normaliser (default: the plant's final
-- normaliser). What the compiled normaliser does: sql-tests/functions/path_rules.sql.
-- Timestamps: see sql-tests/functions/tg__timestamps.sql for why rows get explicit past timestamps.
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(55);

-- Structure.
select has_table('uns_meta', 'segment_normalisation_rules', 'table uns_meta.segment_normalisation_rules exists');
select table_owner_is('uns_meta', 'segment_normalisation_rules', 'uns_meta_admin', 'it is owned by uns_meta_admin');
select columns_are('uns_meta', 'segment_normalisation_rules',
                   array['step', 'action', 'pattern', 'replacement', 'flags', 'enabled', 'description', 'created_at', 'updated_at'],
                   'segment_normalisation_rules has exactly its columns');
select col_type_is('uns_meta', 'segment_normalisation_rules', c, t, format('segment_normalisation_rules.%s is %s', c, t))
  from (values ('step', 'integer'), ('action', 'text'), ('pattern', 'text'), ('replacement', 'text'), ('flags', 'text'), ('enabled', 'boolean'),
               ('description', 'text'), ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone')) as t(c, t);
select col_not_null('uns_meta', 'segment_normalisation_rules', c, format('segment_normalisation_rules.%s is NOT NULL', c))
  from unnest(array['step', 'action', 'flags', 'enabled', 'description', 'created_at', 'updated_at']) as c;
select col_is_null('uns_meta', 'segment_normalisation_rules', c, format('segment_normalisation_rules.%s is nullable (unicode_nfc has none)', c))
  from unnest(array['pattern', 'replacement']) as c;
select col_default_is('uns_meta', 'segment_normalisation_rules', 'flags', 'g', 'flags default to g');
select col_default_is('uns_meta', 'segment_normalisation_rules', 'enabled', 'true', 'enabled defaults to true');
select col_is_pk('uns_meta', 'segment_normalisation_rules', 'step', 'the primary key is step (the order of application)');
select bag_eq($$select conname::text, contype::text from pg_constraint where conrelid = 'uns_meta.segment_normalisation_rules'::regclass and contype <> 'n'$$,
              $$values ('segment_normalisation_rules_pkey', 'p'), ('chk_segment_normalisation_rules_action', 'c'),
                       ('chk_segment_normalisation_rules_regexp', 'c'), ('chk_segment_normalisation_rules_flags', 'c')$$,
              'segment_normalisation_rules has exactly its constraints');
select triggers_are('uns_meta', 'segment_normalisation_rules', array['_100_timestamps', '_900_compile'], 'it has the timestamps and the compile triggers');
select trigger_is('uns_meta', 'segment_normalisation_rules', '_100_timestamps', 'uns_meta', 'tg__timestamps', '_100_timestamps calls tg__timestamps()');
select trigger_is('uns_meta', 'segment_normalisation_rules', '_900_compile', 'uns_meta', 'tg__compile_path_rules', '_900_compile calls tg__compile_path_rules()');
select isnt(obj_description('uns_meta.segment_normalisation_rules'::regclass, 'pg_class'), null, 'it has a table comment');
select is((select array_agg(attname::text order by attnum) from pg_attribute
            where attrelid = 'uns_meta.segment_normalisation_rules'::regclass and attnum > 0 and not attisdropped
              and coalesce(col_description(attrelid, attnum), '') = ''),
          null, 'every column has a comment');

-- Privileges.
select table_privs_are('uns_meta', 'segment_normalisation_rules', 'uns_meta_admin',
                       array['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE'], 'uns_meta_admin owns it');
select table_privs_are('uns_meta', 'segment_normalisation_rules', r, array['SELECT'], format('%s may only read it', r))
  from unnest(array['uns_meta_app', 'uns_meta_ro']) as r;
select table_privs_are('uns_meta', 'segment_normalisation_rules', r, array[]::text[], format('%s has no privilege on it', r))
  from unnest(array['uns_meta_cdc', 'public']) as r;
set local role uns_meta_ro;
select throws_ok($$update uns_meta.segment_normalisation_rules set enabled = false$$, '42501', 'permission denied for table segment_normalisation_rules',
                 'uns_meta_ro cannot change the normaliser');
reset role;

-- The seed: the plant's final normaliser.
select results_eq($$select step, action, pattern, replacement, flags, enabled from uns_meta.segment_normalisation_rules order by step$$,
                  $$values (10, 'unicode_nfc', null::text, null::text, '', true),
                           (20, 'regexp_replace', '\s+', ' ', 'g', true),
                           (30, 'regexp_replace', '[^[:alnum:]._ -]', '_', 'g', true),
                           (40, 'regexp_replace', '_{2,}', '_', 'g', true),
                           (50, 'regexp_replace', '-{2,}', '-', 'g', true),
                           (60, 'regexp_replace', '^[ _-]+|[ _-]+$', '', 'g', true)$$,
                  'seeded: NFC, collapse whitespace, other characters to "_", collapse "_" and "-" runs, strip the ends');
select is((select count(*)::int from uns_meta.segment_normalisation_rules where description = ''), 0, 'every seeded step has a description');

-- Constraints.
select throws_ok($$insert into uns_meta.segment_normalisation_rules (step, action, description) values (70, 'lower', 'x')$$, '23514',
                 'new row for relation "segment_normalisation_rules" violates check constraint "chk_segment_normalisation_rules_action"',
                 'action must be unicode_nfc or regexp_replace');
select throws_ok(format($$insert into uns_meta.segment_normalisation_rules (step, action, pattern, replacement, description) values (70, %L, %L, %L, 'x')$$, a, p, r),
                 '23514', 'new row for relation "segment_normalisation_rules" violates check constraint "chk_segment_normalisation_rules_regexp"', descr)
  from (values ('regexp_replace', 'a', null, 'regexp_replace needs a replacement'), ('regexp_replace', null, 'b', 'regexp_replace needs a pattern'),
               ('unicode_nfc', 'a', 'b', 'unicode_nfc takes no pattern')) as t(a, p, r, descr);
select throws_ok(format($$insert into uns_meta.segment_normalisation_rules (step, action, pattern, replacement, flags, description) values (70, 'regexp_replace', 'a', 'b', %L, 'x')$$, f),
                 '23514', 'new row for relation "segment_normalisation_rules" violates check constraint "chk_segment_normalisation_rules_flags"',
                 format('flags %L are refused', f))
  from unnest(array['G', 'z', 'g ']) as f;
select throws_ok($$insert into uns_meta.segment_normalisation_rules (step, action, description) values (10, 'unicode_nfc', 'x')$$, '23505',
                 'duplicate key value violates unique constraint "segment_normalisation_rules_pkey"', 'a step number is unique');
select throws_ok(format($$insert into uns_meta.segment_normalisation_rules (%s) values (%s)$$, cols, vals), '23502',
                 format('null value in column "%s" of relation "segment_normalisation_rules" violates not-null constraint', c), format('%s cannot be NULL', c))
  from (values ('step', 'step, action, description', 'null, ''unicode_nfc'', ''x'''), ('action', 'step, action, description', '70, null, ''x'''),
               ('description', 'step, action, description', '70, ''unicode_nfc'', null'),
               ('flags', 'step, action, flags, description', '70, ''unicode_nfc'', null, ''x''')) as t(c, cols, vals);
select lives_ok($$insert into uns_meta.segment_normalisation_rules (step, action, pattern, replacement, flags, description)
                  values (70, 'regexp_replace', '(\d+)', '<\1>', 'gi', 'test: digits in angle brackets')$$, 'a valid step is accepted');
select is(uns_meta.normalise_segment('a1b22'), 'a<1>b<22>', '... and applied (with a back-reference)');

-- Timestamps (rows with past timestamps; see tg__timestamps.sql).
delete from uns_meta.segment_normalisation_rules where step = 70;
insert into uns_meta.segment_normalisation_rules (step, action, pattern, replacement, description, created_at, updated_at)
  values (70, 'regexp_replace', 'x', 'y', 'test', '2001-01-01 00:00:00+00', '2001-01-02 00:00:00+00');
update uns_meta.segment_normalisation_rules set pattern = pattern where step = 70;
select is((select updated_at from uns_meta.segment_normalisation_rules where step = 70), '2001-01-02 00:00:00+00'::timestamptz,
          'an identical UPDATE leaves updated_at');
update uns_meta.segment_normalisation_rules set replacement = 'z' where step = 70;
select is((select updated_at from uns_meta.segment_normalisation_rules where step = 70), now(), 'a real change moves updated_at to now()');
select throws_ok($$update uns_meta.segment_normalisation_rules set created_at = now() where step = 70$$, 'U0101', null, 'created_at cannot change (U0101)');

select * from finish();
rollback;
