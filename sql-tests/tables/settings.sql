-- pgTAP: uns_meta.settings, the DBA-editable tunables, its validation trigger and setting_interval().
-- Timestamps: see sql-tests/functions/tg__timestamps.sql for why rows get explicit past timestamps.
begin;
\ir ../_session.psql
select plan(95);

-- Structure.
select has_table('uns_meta', 'settings', 'table uns_meta.settings exists');
select table_owner_is('uns_meta', 'settings', 'uns_meta_admin', 'settings is owned by uns_meta_admin');
select columns_are('uns_meta', 'settings', array['key', 'value', 'description', 'created_at', 'updated_at', 'updated_by'],
                   'settings has exactly its six columns');
select col_type_is('uns_meta', 'settings', 'key', 'text', 'settings.key is text');
select col_type_is('uns_meta', 'settings', 'value', 'jsonb', 'settings.value is jsonb');
select col_type_is('uns_meta', 'settings', 'description', 'text', 'settings.description is text');
select col_type_is('uns_meta', 'settings', 'created_at', 'timestamp with time zone', 'settings.created_at is timestamptz');
select col_type_is('uns_meta', 'settings', 'updated_at', 'timestamp with time zone', 'settings.updated_at is timestamptz');
select col_type_is('uns_meta', 'settings', 'updated_by', 'text', 'settings.updated_by is text');
select col_not_null('uns_meta', 'settings', c, format('settings.%s is NOT NULL', c))
  from unnest(array['key', 'value', 'description', 'created_at', 'updated_at', 'updated_by']) as c;
select col_default_is('uns_meta', 'settings', 'created_at', 'now()', 'settings.created_at defaults to now()');
select col_default_is('uns_meta', 'settings', 'updated_at', 'now()', 'settings.updated_at defaults to now()');
select col_default_is('uns_meta', 'settings', 'updated_by', 'CURRENT_USER', 'settings.updated_by defaults to CURRENT_USER');
select has_pk('uns_meta', 'settings', 'settings has a primary key');
select col_is_pk('uns_meta', 'settings', 'key', 'settings primary key is (key)');
select indexes_are('uns_meta', 'settings', array['settings_pkey'], 'settings has only its primary key index');
select bag_eq($$select conname::text, contype::text from pg_constraint where conrelid = 'uns_meta.settings'::regclass and contype <> 'n'$$,
              $$values ('settings_pkey', 'p'), ('chk_settings_key_format', 'c')$$,
              'settings has exactly the constraints settings_pkey and chk_settings_key_format');
select triggers_are('uns_meta', 'settings', array['_100_timestamps', '_200_validate'], 'settings has exactly its two triggers');
select trigger_is('uns_meta', 'settings', '_100_timestamps', 'uns_meta', 'tg__timestamps', '_100_timestamps calls tg__timestamps()');
select trigger_is('uns_meta', 'settings', '_200_validate', 'uns_meta', 'tg_settings__validate', '_200_validate calls tg_settings__validate()');
-- tgtype bits: 1 ROW, 2 BEFORE, 4 INSERT, 8 DELETE, 16 UPDATE, 32 TRUNCATE.
select is((select tgtype::int from pg_trigger where tgrelid = 'uns_meta.settings'::regclass and tgname = '_100_timestamps'),
          1 | 2 | 16, '_100_timestamps fires BEFORE UPDATE FOR EACH ROW');
select is((select tgtype::int from pg_trigger where tgrelid = 'uns_meta.settings'::regclass and tgname = '_200_validate'),
          1 | 2 | 4 | 16, '_200_validate fires BEFORE INSERT OR UPDATE FOR EACH ROW');
select isnt(obj_description('uns_meta.settings'::regclass, 'pg_class'), null, 'settings has a table comment');
select is((select array_agg(attname::text order by attnum) from pg_attribute
            where attrelid = 'uns_meta.settings'::regclass and attnum > 0 and not attisdropped
              and coalesce(col_description(attrelid, attnum), '') = ''),
          null, 'every column of settings has a comment');

-- The trigger function and the typed reader.
select function_returns('uns_meta', 'tg_settings__validate', array[]::name[], 'trigger', 'tg_settings__validate() returns trigger');
select volatility_is('uns_meta', 'tg_settings__validate', array[]::name[], 'volatile', 'tg_settings__validate() is volatile');
select isnt_definer('uns_meta', 'tg_settings__validate', array[]::name[], 'tg_settings__validate() is SECURITY INVOKER (updated_by is the caller)');
select function_privs_are('uns_meta', 'tg_settings__validate', array[]::name[], 'public', array[]::text[],
                          'PUBLIC cannot execute tg_settings__validate()');
select function_returns('uns_meta', 'setting_interval', array['text'], 'interval', 'setting_interval(text) returns interval');
select volatility_is('uns_meta', 'setting_interval', array['text'], 'stable', 'setting_interval(text) is stable');
select isnt_definer('uns_meta', 'setting_interval', array['text'], 'setting_interval(text) is SECURITY INVOKER');
select function_privs_are('uns_meta', 'setting_interval', array['text'], 'uns_meta_app', array['EXECUTE'],
                          'uns_meta_app may execute setting_interval(text)');
select function_privs_are('uns_meta', 'setting_interval', array['text'], 'uns_meta_ro', array['EXECUTE'],
                          'uns_meta_ro may execute setting_interval(text)');
select isnt(obj_description('uns_meta.setting_interval(text)'::regprocedure, 'pg_proc'), null, 'setting_interval(text) has a comment');
select isnt(obj_description('uns_meta.tg_settings__validate()'::regprocedure, 'pg_proc'), null, 'tg_settings__validate() has a comment');

-- Privileges (catalogue).
select table_privs_are('uns_meta', 'settings', 'uns_meta_admin',
                       array['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE'], 'uns_meta_admin owns settings');
select table_privs_are('uns_meta', 'settings', 'uns_meta_app', array['SELECT'], 'uns_meta_app may only read settings');
select table_privs_are('uns_meta', 'settings', 'uns_meta_ro', array['SELECT'], 'uns_meta_ro may only read settings');
select table_privs_are('uns_meta', 'settings', 'uns_meta_cdc', array[]::text[], 'uns_meta_cdc has no privilege on settings');
select table_privs_are('uns_meta', 'settings', 'public', array[]::text[], 'PUBLIC has no privilege on settings');

-- The seed.
select results_eq($$select value, updated_by from uns_meta.settings where key = 'debounce_interval'$$,
                  $$values ('"3 minutes"'::jsonb, 'uns_meta_admin'::text)$$, 'debounce_interval is seeded as "3 minutes"');
select is(uns_meta.setting_interval('debounce_interval'), interval '3 minutes', 'setting_interval(''debounce_interval'') = 3 minutes');
select is(uns_meta.setting_interval('no_such_setting'), null, 'setting_interval() of an absent key is NULL');
select isnt((select description from uns_meta.settings where key = 'debounce_interval'), '', 'debounce_interval has a description');

-- Grants, by SET ROLE.
set local role uns_meta_app;
select is(uns_meta.setting_interval('debounce_interval'), interval '3 minutes', 'uns_meta_app reads the debounce interval');
select throws_ok($$update uns_meta.settings set value = '"1 minute"' where key = 'debounce_interval'$$, '42501',
                 'permission denied for table settings', 'uns_meta_app cannot update settings');
select throws_ok($$insert into uns_meta.settings (key, value, description) values ('x', '1', 'x')$$, '42501',
                 'permission denied for table settings', 'uns_meta_app cannot insert settings');
select throws_ok($$delete from uns_meta.settings$$, '42501', 'permission denied for table settings', 'uns_meta_app cannot delete settings');
reset role;
set local role uns_meta_ro;
select is((select count(*)::int from uns_meta.settings where key = 'debounce_interval'), 1, 'uns_meta_ro reads settings');
select throws_ok($$update uns_meta.settings set value = '"1 minute"' where key = 'debounce_interval'$$, '42501',
                 'permission denied for table settings', 'uns_meta_ro cannot update settings');
select throws_ok($$insert into uns_meta.settings (key, value, description) values ('x', '1', 'x')$$, '42501',
                 'permission denied for table settings', 'uns_meta_ro cannot insert settings');
select throws_ok($$delete from uns_meta.settings$$, '42501', 'permission denied for table settings', 'uns_meta_ro cannot delete settings');
reset role;
set local role uns_meta_cdc;
select throws_ok($$select * from uns_meta.settings$$, '42501', 'permission denied for table settings', 'uns_meta_cdc cannot read settings');
reset role;

-- Validation of debounce_interval (U0103 names the key; constraint chk_settings_value).
select throws_ok($$update uns_meta.settings set value = '180' where key = 'debounce_interval'$$, 'U0103',
                 'setting debounce_interval must be a JSON string holding a PostgreSQL interval such as "3 minutes", got 180',
                 'debounce_interval: a JSON number is rejected with U0103');
select is(pg_temp.error_of($$update uns_meta.settings set value = '180' where key = 'debounce_interval'$$),
          'U0103 chk_settings_value: setting debounce_interval must be a JSON string holding a PostgreSQL interval such as "3 minutes", got 180',
          'U0103 carries the constraint name chk_settings_value');
select throws_ok($$update uns_meta.settings set value = '"three minutes"' where key = 'debounce_interval'$$, 'U0103',
                 'setting debounce_interval must be a JSON string holding a PostgreSQL interval such as "3 minutes", got "three minutes"',
                 'debounce_interval: a string that is no interval is rejected');
select throws_ok($$update uns_meta.settings set value = 'null' where key = 'debounce_interval'$$, 'U0103',
                 'setting debounce_interval must be a JSON string holding a PostgreSQL interval such as "3 minutes", got null',
                 'debounce_interval: JSON null is rejected');
select throws_ok($$update uns_meta.settings set value = '{"minutes": 3}' where key = 'debounce_interval'$$, 'U0103',
                 'setting debounce_interval must be a JSON string holding a PostgreSQL interval such as "3 minutes", got {"minutes": 3}',
                 'debounce_interval: a JSON object is rejected');
select throws_ok($$update uns_meta.settings set value = '"-1 minute"' where key = 'debounce_interval'$$, 'U0103',
                 'setting debounce_interval must not be negative, got "-1 minute"', 'debounce_interval: a negative interval is rejected');
select is(pg_temp.error_of($$update uns_meta.settings set value = '"-1 minute"' where key = 'debounce_interval'$$),
          'U0103 chk_settings_value: setting debounce_interval must not be negative, got "-1 minute"',
          'the negative-interval error carries chk_settings_value too');
select throws_ok($$insert into uns_meta.settings (key, value, description) values ('debounce_interval', '"soon"', 'x')$$, 'U0103',
                 'setting debounce_interval must be a JSON string holding a PostgreSQL interval such as "3 minutes", got "soon"',
                 'the value is validated on INSERT as well');
select is(uns_meta.setting_interval('debounce_interval'), interval '3 minutes', 'rejected values left the setting unchanged');

-- Constraints.
select throws_ok($$insert into uns_meta.settings (key, value, description) values ('debounce_interval', '"1 minute"', 'x')$$, '23505',
                 'duplicate key value violates unique constraint "settings_pkey"', 'a key is unique (settings_pkey)');
select throws_ok(format($$insert into uns_meta.settings (key, value, description) values (%L, '1', 'x')$$, k), '23514',
                 'new row for relation "settings" violates check constraint "chk_settings_key_format"',
                 format('key %L violates chk_settings_key_format', k))
  from unnest(array['Debounce', '1st_key', '_key', 'key-name', 'key name', '', 'clé']) as k;
select throws_ok(format($$insert into uns_meta.settings (%s) values (%s)$$, cols, vals), '23502',
                 format('null value in column "%s" of relation "settings" violates not-null constraint', c),
                 format('settings.%s cannot be NULL', c))
  from (values ('key', 'key, value, description', 'null, ''1'', ''x'''),
               ('value', 'key, value, description', '''k_null'', null, ''x'''),
               ('description', 'key, value, description', '''k_null'', ''1'', null'),
               ('created_at', 'key, value, description, created_at', '''k_null'', ''1'', ''x'', null'),
               ('updated_at', 'key, value, description, updated_at', '''k_null'', ''1'', ''x'', null'),
               ('updated_by', 'key, value, description, updated_by', '''k_null'', ''1'', ''x'', null')) as t(c, cols, vals);

-- Valid values; updated_by records the role; timestamps idempotent.
insert into uns_meta.settings (key, value, description, created_at, updated_at, updated_by)
  values ('test_knob', '1', 'a test setting', '2001-01-01 00:00:00+00', '2001-01-02 00:00:00+00', 'dba_jane');
select is((select updated_by from uns_meta.settings where key = 'test_knob'), 'dba_jane',
          'an explicit updated_by on INSERT is kept (e.g. a DBA seeding on behalf of someone)');
create temp table seen as select key, value, updated_at, updated_by from uns_meta.settings;
update uns_meta.settings set value = value where key = 'test_knob';
update uns_meta.settings set value = value, description = description where key = 'test_knob';
select results_eq($$select value, updated_at, updated_by from uns_meta.settings where key = 'test_knob'$$,
                  $$select value, updated_at, updated_by from seen where key = 'test_knob'$$,
                  'two identical UPDATEs leave value, updated_at and updated_by unchanged');
update uns_meta.settings set value = '2' where key = 'test_knob';
select results_eq($$select value, updated_at, updated_by from uns_meta.settings where key = 'test_knob'$$,
                  $$values ('2'::jsonb, now(), 'uns_meta_admin'::text)$$,
                  'a changed value moves updated_at to now() and records the role in updated_by');
update uns_meta.settings set updated_by = 'dba_jane', updated_at = '2001-01-02 00:00:00+00' where key = 'test_knob';
select is((select updated_by from uns_meta.settings where key = 'test_knob'), 'dba_jane',
          'updated_by can be set explicitly when the value does not change');
update uns_meta.settings set description = 'reworded' where key = 'test_knob';
select is((select updated_by from uns_meta.settings where key = 'test_knob'), 'dba_jane',
          'a description-only change does not touch updated_by (it records who changed the value)');
select lives_ok($$update uns_meta.settings set value = '"90 seconds"' where key = 'debounce_interval'$$, 'a valid interval is accepted');
select is(uns_meta.setting_interval('debounce_interval'), interval '90 seconds', 'setting_interval() returns the new value');
select lives_ok($$update uns_meta.settings set value = '"0"' where key = 'debounce_interval'$$, 'a zero interval is accepted (no debounce)');
select lives_ok($$update uns_meta.settings set value = '"PT2M30S"' where key = 'debounce_interval'$$, 'ISO 8601 intervals are accepted');
select is(uns_meta.setting_interval('debounce_interval'), interval '2 minutes 30 seconds', '... and read back as an interval');
update uns_meta.settings set updated_by = 'someone' where key = 'debounce_interval';
update uns_meta.settings set value = '"3 minutes"' where key = 'debounce_interval';
select is((select updated_by from uns_meta.settings where key = 'debounce_interval'), 'uns_meta_admin',
          'updated_by is the current role after a value change');
select throws_ok($$update uns_meta.settings set created_at = now() where key = 'debounce_interval'$$, 'U0101',
                 'uns_meta.settings.created_at cannot change (it stays ' ||
                   (select created_at from uns_meta.settings where key = 'debounce_interval')::text || ')',
                 'settings.created_at cannot change (U0101)');
select alike(pg_temp.error_of($$update uns_meta.settings set created_at = now() where key = 'test_knob'$$),
             'U0101 created_at_immutable: %', 'the U0101 error names created_at_immutable');
select lives_ok($$delete from uns_meta.settings where key = 'test_knob'$$, 'uns_meta_admin may delete a setting');

select * from finish();
rollback;
