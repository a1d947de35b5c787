-- pgTAP: uns_meta.canary_property_names, the DBA-editable map from Sparkplug property keys to Canary names.
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
select plan(14);

select has_table('uns_meta', 'canary_property_names', 'table uns_meta.canary_property_names exists');
select columns_are('uns_meta', 'canary_property_names',
                   array['property_key', 'canary_name', 'precedence', 'description', 'created_at', 'updated_at'], 'it has exactly its columns');
select col_is_pk('uns_meta', 'canary_property_names', 'property_key', 'the key is the Sparkplug property key');
select col_default_is('uns_meta', 'canary_property_names', 'precedence', '100', 'precedence defaults to 100');
select is((select array_agg(attname::text order by attnum) from pg_attribute
            where attrelid = 'uns_meta.canary_property_names'::regclass and attnum > 0 and not attisdropped
              and coalesce(col_description(attrelid, attnum), '') = ''), null, 'every column has a comment');
select results_eq($$select property_key, canary_name from uns_meta.canary_property_names order by property_key$$,
                  $$values ('description', 'Description'), ('documentation', 'Description'), ('engHigh', 'Default High Scale'),
                           ('engLow', 'Default Low Scale'), ('engUnit', 'Eng Units')$$, 'the issue''s default map is seeded');
select ok((select precedence from uns_meta.canary_property_names where property_key = 'documentation')
          < (select precedence from uns_meta.canary_property_names where property_key = 'description'),
          'documentation wins over description');
select table_privs_are('uns_meta', 'canary_property_names', r, array['SELECT'], format('%s may only read it', r))
  from unnest(array['uns_meta_app', 'uns_meta_ro']) as r;
select table_privs_are('uns_meta', 'canary_property_names', 'uns_meta_cdc', array[]::text[], 'uns_meta_cdc has no privilege on it');
select throws_ok($$insert into uns_meta.canary_property_names (property_key, canary_name) values ('', 'x')$$, '23514', null, 'an empty key is refused');
select throws_ok($$insert into uns_meta.canary_property_names (property_key, canary_name) values ('x', '')$$, '23514', null, 'an empty Canary name is refused');
insert into uns_meta.canary_property_names (property_key, canary_name) values ('tooltip', 'Tooltip');
select is((select canary_name from uns_meta.canary_property_names where property_key = 'tooltip'), 'Tooltip', 'a DBA adds a mapping');
select has_trigger('uns_meta', 'canary_property_names', '_100_timestamps', 'updated_at is maintained');

select * from finish();
rollback;
