-- pgTAP: uns_meta.metric_versions, the append-only per-metric history.
-- Append-only has two layers on the real table: the grants (uns_meta_app may only SELECT and INSERT,
-- uns_meta_ro only SELECT: anything else is 42501 before any trigger runs) and the trigger (U0102 for any
-- role but uns_meta_admin, shown here by granting the missing privileges inside this rolled-back test).
begin;
\ir ../_session.psql
select plan(90);

-- Structure.
select has_table('uns_meta', 'metric_versions', 'table uns_meta.metric_versions exists');
select table_owner_is('uns_meta', 'metric_versions', 'uns_meta_admin', 'metric_versions is owned by uns_meta_admin');
select columns_are('uns_meta', 'metric_versions',
  array['version_id', 'metric_id', 'version_no', 'change_kind', 'changed_at', 'changed_by', 'source', 'diff'],
  'metric_versions has exactly its columns');
select col_type_is('uns_meta', 'metric_versions', c, t, format('metric_versions.%s is %s', c, t))
  from (values ('version_id', 'bigint'), ('metric_id', 'bigint'), ('version_no', 'integer'), ('change_kind', 'text'),
               ('changed_at', 'timestamp with time zone'), ('changed_by', 'text'), ('source', 'text'), ('diff', 'jsonb')) as t(c, t);
select col_not_null('uns_meta', 'metric_versions', c, format('metric_versions.%s is NOT NULL', c))
  from unnest(array['version_id', 'metric_id', 'version_no', 'change_kind', 'changed_at', 'changed_by', 'diff']) as c;
select col_is_null('uns_meta', 'metric_versions', 'source', 'metric_versions.source is nullable');
select col_default_is('uns_meta', 'metric_versions', 'changed_at', 'now()', 'metric_versions.changed_at defaults to now()');
select col_default_is('uns_meta', 'metric_versions', 'changed_by', 'system', 'metric_versions.changed_by defaults to ''system''');
select is((select attidentity::text from pg_attribute where attrelid = 'uns_meta.metric_versions'::regclass and attname = 'version_id'),
          'a', 'metric_versions.version_id is GENERATED ALWAYS AS IDENTITY');
select has_pk('uns_meta', 'metric_versions', 'metric_versions has a primary key');
select col_is_pk('uns_meta', 'metric_versions', 'version_id', 'metric_versions primary key is (version_id)');
select col_is_unique('uns_meta', 'metric_versions', array['metric_id', 'version_no'], 'metric_versions (metric_id, version_no) is unique');
select is((select array_agg(tgname::text order by tgname) from pg_trigger
            where tgrelid = 'uns_meta.metric_versions'::regclass and tgname like '\_200\_metric\_exists%'),
          array['_200_metric_exists_insert', '_200_metric_exists_update'],
          'metric_versions.metric_id references metrics through statement triggers (sql-tests/triggers/statement_foreign_keys.sql)');
select is((select count(*)::int from pg_trigger where tgrelid = 'uns_meta.metrics'::regclass and tgname = '_200_delete_versions'), 1,
          'deleting metrics deletes their versions (trigger _200_delete_versions: ON DELETE CASCADE)');
select bag_eq($$select conname::text, contype::text from pg_constraint where conrelid = 'uns_meta.metric_versions'::regclass and contype <> 'n'$$,
              $$values ('metric_versions_pkey', 'p'), ('uq_metric_versions_metric_version', 'u'),
                       ('chk_metric_versions_version_no', 'c'), ('chk_metric_versions_change_kind', 'c'), ('chk_metric_versions_diff', 'c')$$,
              'metric_versions has exactly its constraints');
select indexes_are('uns_meta', 'metric_versions', array['metric_versions_pkey', 'uq_metric_versions_metric_version'],
                   'metric_versions has exactly the indexes of its key and unique constraint');
select triggers_are('uns_meta', 'metric_versions', array['_100_append_only', '_100_append_only_truncate', '_200_metric_exists_insert',
                                                  '_200_metric_exists_update', '_900_notify_watch'],
                    'metric_versions has exactly its two append-only triggers, the reference to metrics (triggers/statement_foreign_keys) and the watch NOTIFY (triggers/notify_catalog_changes)');
select has_trigger('uns_meta', 'metric_versions', t, format('metric_versions has trigger %s', t))
  from unnest(array['_100_append_only', '_100_append_only_truncate']) as t;
select trigger_is('uns_meta', 'metric_versions', t, 'uns_meta', 'tg__append_only', format('%s calls tg__append_only()', t))
  from unnest(array['_100_append_only', '_100_append_only_truncate']) as t;
-- tgtype bits: 1 ROW, 2 BEFORE, 4 INSERT, 8 DELETE, 16 UPDATE, 32 TRUNCATE.
select is((select tgtype::int from pg_trigger where tgrelid = 'uns_meta.metric_versions'::regclass and tgname = '_100_append_only'),
          1 | 2 | 8 | 16, '_100_append_only fires BEFORE UPDATE OR DELETE FOR EACH ROW');
select is((select tgtype::int from pg_trigger where tgrelid = 'uns_meta.metric_versions'::regclass and tgname = '_100_append_only_truncate'),
          2 | 32, '_100_append_only_truncate fires BEFORE TRUNCATE FOR EACH STATEMENT');
select isnt(obj_description('uns_meta.metric_versions'::regclass, 'pg_class'), null, 'metric_versions has a table comment');
select is((select array_agg(attname::text order by attnum) from pg_attribute
            where attrelid = 'uns_meta.metric_versions'::regclass and attnum > 0 and not attisdropped
              and coalesce(col_description(attrelid, attnum), '') = ''),
          null, 'every column of metric_versions has a comment');

-- Privileges (catalogue).
select table_privs_are('uns_meta', 'metric_versions', 'uns_meta_admin',
                       array['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE'], 'uns_meta_admin owns metric_versions');
select table_privs_are('uns_meta', 'metric_versions', 'uns_meta_app', array['INSERT', 'SELECT'], 'uns_meta_app may only read and append metric_versions');
select table_privs_are('uns_meta', 'metric_versions', 'uns_meta_ro', array['SELECT'], 'uns_meta_ro may only read metric_versions');
select table_privs_are('uns_meta', 'metric_versions', 'uns_meta_cdc', array[]::text[], 'uns_meta_cdc has no privilege on metric_versions');
select table_privs_are('uns_meta', 'metric_versions', 'public', array[]::text[], 'PUBLIC has no privilege on metric_versions');

insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'D', 'G/E/D');
insert into uns_meta.metrics (device_id, name, uns_path, datatype) select device_id, 'm', 'G/E/D/m', 10 from uns_meta.devices;
create temp table m as select metric_id from uns_meta.metrics where name = 'm';
grant select on m to uns_meta_app, uns_meta_ro, uns_meta_cdc;

-- uns_meta_app appends; the grants stop everything else.
set local role uns_meta_app;
select lives_ok($$insert into uns_meta.metric_versions (metric_id, version_no, change_kind, source, diff)
                  select metric_id, 1, 'created', 'spBv1.0/G/DBIRTH/E/D', '{"added": {"engUnit": {"type": "string", "value": "degC"}}}' from m$$,
                'uns_meta_app can append a version');
select lives_ok($$insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff) select metric_id, 2, 'updated', '{}' from m$$,
                'uns_meta_app can append the next version');
select results_eq($$select version_no, change_kind, changed_by, changed_at = now() from uns_meta.metric_versions order by version_no$$,
                  $$values (1, 'created', 'system', true), (2, 'updated', 'system', true)$$,
                  'uns_meta_app reads the versions back, with the defaults changed_by = system and changed_at = now()');
select throws_ok($$update uns_meta.metric_versions set diff = '{}'$$, '42501', 'permission denied for table metric_versions',
                 'uns_meta_app cannot UPDATE metric_versions (no privilege)');
select throws_ok($$delete from uns_meta.metric_versions$$, '42501', 'permission denied for table metric_versions',
                 'uns_meta_app cannot DELETE from metric_versions (no privilege)');
select throws_ok($$truncate uns_meta.metric_versions$$, '42501', 'permission denied for table metric_versions',
                 'uns_meta_app cannot TRUNCATE metric_versions (no privilege)');
reset role;
set local role uns_meta_ro;
select is((select count(*)::int from uns_meta.metric_versions), 2, 'uns_meta_ro can read metric_versions');
select throws_ok($$insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff) select metric_id, 3, 'updated', '{}' from m$$,
                 '42501', 'permission denied for table metric_versions', 'uns_meta_ro cannot INSERT into metric_versions');
select throws_ok($$update uns_meta.metric_versions set diff = '{}'$$, '42501', 'permission denied for table metric_versions',
                 'uns_meta_ro cannot UPDATE metric_versions');
select throws_ok($$delete from uns_meta.metric_versions$$, '42501', 'permission denied for table metric_versions',
                 'uns_meta_ro cannot DELETE from metric_versions');
select throws_ok($$truncate uns_meta.metric_versions$$, '42501', 'permission denied for table metric_versions',
                 'uns_meta_ro cannot TRUNCATE metric_versions');
reset role;
set local role uns_meta_cdc;
select throws_ok($$select * from uns_meta.metric_versions$$, '42501', 'permission denied for table metric_versions',
                 'uns_meta_cdc cannot read metric_versions (not published)');
reset role;

-- The trigger: even with the privileges, no one but uns_meta_admin edits history.
grant update, delete, truncate on uns_meta.metric_versions to uns_meta_app;
set local role uns_meta_app;
select is(pg_temp.error_of($$update uns_meta.metric_versions set diff = '{}' where version_no = 1$$),
          'U0102 append_only: uns_meta.metric_versions is append-only: UPDATE is not allowed for role uns_meta_app',
          'uns_meta_app granted UPDATE still gets U0102 (constraint append_only)');
select is(pg_temp.error_of($$update uns_meta.metric_versions set diff = diff where version_no = 1$$),
          'U0102 append_only: uns_meta.metric_versions is append-only: UPDATE is not allowed for role uns_meta_app',
          '... even for an identical UPDATE');
select throws_ok($$delete from uns_meta.metric_versions where version_no = 1$$, 'U0102',
                 'uns_meta.metric_versions is append-only: DELETE is not allowed for role uns_meta_app',
                 'uns_meta_app granted DELETE still gets U0102');
select is(pg_temp.error_of($$truncate uns_meta.metric_versions$$),
          'U0102 append_only: uns_meta.metric_versions is append-only: TRUNCATE is not allowed for role uns_meta_app',
          'uns_meta_app granted TRUNCATE still gets U0102');
reset role;
revoke update, delete, truncate on uns_meta.metric_versions from uns_meta_app;
select results_eq($$select version_no, diff from uns_meta.metric_versions order by version_no$$,
                  $$values (1, '{"added": {"engUnit": {"type": "string", "value": "degC"}}}'::jsonb), (2, '{}')$$,
                  'the history is intact');

-- uns_meta_admin (DBA maintenance) may edit history; identical updates change nothing.
create temp table seen as select * from uns_meta.metric_versions;
update uns_meta.metric_versions set diff = diff;
update uns_meta.metric_versions set diff = diff, source = source;
select results_eq($$select * from uns_meta.metric_versions order by version_id$$, $$select * from seen order by version_id$$,
                  'uns_meta_admin: two identical UPDATEs leave the rows unchanged');
select lives_ok($$update uns_meta.metric_versions set source = 'corrected by DBA' where version_no = 2$$, 'uns_meta_admin may UPDATE');
select lives_ok($$delete from uns_meta.metric_versions where version_no = 2$$, 'uns_meta_admin may DELETE');
select lives_ok($$truncate uns_meta.metric_versions$$, 'uns_meta_admin may TRUNCATE');
select is((select count(*)::int from uns_meta.metric_versions), 0, '... and it is applied');

-- Constraint violations.
insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff) select metric_id, 1, 'created', '{}' from m;
select throws_ok($$insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff) select metric_id, 1, 'updated', '{}' from m$$,
                 '23505', 'duplicate key value violates unique constraint "uq_metric_versions_metric_version"',
                 'a version number is unique per metric');
select throws_ok($$insert into uns_meta.metric_versions (version_id, metric_id, version_no, change_kind, diff) overriding system value
                   select v.version_id, v.metric_id, 7, 'updated', '{}' from uns_meta.metric_versions v$$,
                 '23505', 'duplicate key value violates unique constraint "metric_versions_pkey"', 'version_id is unique (metric_versions_pkey)');
select throws_ok($$insert into uns_meta.metric_versions (version_id, metric_id, version_no, change_kind, diff) select 1, metric_id, 8, 'updated', '{}' from m$$,
                 '428C9', 'cannot insert a non-DEFAULT value into column "version_id"', 'version_id is generated, never supplied');
select throws_ok($$insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff) values (-1, 1, 'created', '{}')$$,
                 '23503', 'insert or update on table "metric_versions" violates foreign key constraint "metric_versions_metric_id_fkey"',
                 'a version needs an existing metric');
select throws_ok(format($$insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff) select metric_id, %s, 'updated', '{}' from m$$, v),
                 '23514', 'new row for relation "metric_versions" violates check constraint "chk_metric_versions_version_no"',
                 format('chk_metric_versions_version_no rejects %s', v))
  from unnest(array['0', '-1']) as v;
select throws_ok(format($$insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff) select metric_id, 9, %L, '{}' from m$$, k),
                 '23514', 'new row for relation "metric_versions" violates check constraint "chk_metric_versions_change_kind"',
                 format('chk_metric_versions_change_kind rejects %L', k))
  from unnest(array['deleted', 'Created', '']) as k;
select lives_ok(format($$insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff) select metric_id, %s, %L, '{}' from m$$, n, k),
                format('change_kind %L is accepted', k))
  from (values (2, 'updated'), (3, 'retired'), (4, 'revived')) as t(n, k);
select throws_ok(format($$insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff) select metric_id, 10, 'updated', %L from m$$, d),
                 '23514', 'new row for relation "metric_versions" violates check constraint "chk_metric_versions_diff"',
                 format('chk_metric_versions_diff rejects %s', d))
  from unnest(array['[]', '"x"', '1', 'null']) as d;
select throws_ok(format($$insert into uns_meta.metric_versions (%s) select %s from m$$, cols, vals), '23502',
                 format('null value in column "%s" of relation "metric_versions" violates not-null constraint', c),
                 format('metric_versions.%s cannot be NULL', c))
  from (values ('metric_id', 'metric_id, version_no, change_kind, diff', 'null::bigint, 11, ''updated'', ''{}'''),
               ('version_no', 'metric_id, version_no, change_kind, diff', 'metric_id, null, ''updated'', ''{}'''),
               ('change_kind', 'metric_id, version_no, change_kind, diff', 'metric_id, 11, null, ''{}'''),
               ('diff', 'metric_id, version_no, change_kind, diff', 'metric_id, 11, ''updated'', null'),
               ('changed_at', 'metric_id, version_no, change_kind, diff, changed_at', 'metric_id, 11, ''updated'', ''{}'', null'),
               ('changed_by', 'metric_id, version_no, change_kind, diff, changed_by', 'metric_id, 11, ''updated'', ''{}'', null')) as t(c, cols, vals);

-- ON DELETE CASCADE from metrics (as admin): the cascade runs as the table owner, which the trigger admits.
select is((select count(*)::int from uns_meta.metric_versions where metric_id = (select metric_id from m)), 4, 'the metric has versions');
select lives_ok($$delete from uns_meta.metrics where metric_id = (select metric_id from m)$$,
                'uns_meta_admin deletes the metric: the cascade passes the append-only trigger');
select is((select count(*)::int from uns_meta.metric_versions where metric_id = (select metric_id from m)), 0,
          'deleting a metric deletes its versions (ON DELETE CASCADE)');

select * from finish();
rollback;
