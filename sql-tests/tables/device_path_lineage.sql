-- pgTAP: uns_meta.device_path_lineage, the append-only lineage of device UNS path changes.
-- Append-only has two layers on the real table: the grants (uns_meta_app may only SELECT and INSERT,
-- uns_meta_ro only SELECT: anything else is 42501 before any trigger runs) and the trigger (U0102 for any
-- role but uns_meta_admin, shown here by granting the missing privileges inside this rolled-back test).
begin;
\ir ../_session.psql
select plan(82);

-- Structure.
select has_table('uns_meta', 'device_path_lineage', 'table uns_meta.device_path_lineage exists');
select table_owner_is('uns_meta', 'device_path_lineage', 'uns_meta_admin', 'device_path_lineage is owned by uns_meta_admin');
select columns_are('uns_meta', 'device_path_lineage',
  array['lineage_id', 'device_id', 'old_uns_path', 'new_uns_path', 'changed_at', 'changed_by', 'reason'],
  'device_path_lineage has exactly its columns');
select col_type_is('uns_meta', 'device_path_lineage', c, t, format('device_path_lineage.%s is %s', c, t))
  from (values ('lineage_id', 'bigint'), ('device_id', 'bigint'), ('old_uns_path', 'text'), ('new_uns_path', 'text'),
               ('changed_at', 'timestamp with time zone'), ('changed_by', 'text'), ('reason', 'text')) as t(c, t);
select col_not_null('uns_meta', 'device_path_lineage', c, format('device_path_lineage.%s is NOT NULL', c))
  from unnest(array['lineage_id', 'device_id', 'old_uns_path', 'new_uns_path', 'changed_at', 'changed_by']) as c;
select col_is_null('uns_meta', 'device_path_lineage', 'reason', 'device_path_lineage.reason is nullable');
select col_default_is('uns_meta', 'device_path_lineage', 'changed_at', 'now()', 'device_path_lineage.changed_at defaults to now()');
select col_default_is('uns_meta', 'device_path_lineage', 'changed_by', 'system', 'device_path_lineage.changed_by defaults to ''system''');
select is((select attidentity::text from pg_attribute where attrelid = 'uns_meta.device_path_lineage'::regclass and attname = 'lineage_id'),
          'a', 'device_path_lineage.lineage_id is GENERATED ALWAYS AS IDENTITY');
select has_pk('uns_meta', 'device_path_lineage', 'device_path_lineage has a primary key');
select col_is_pk('uns_meta', 'device_path_lineage', 'lineage_id', 'device_path_lineage primary key is (lineage_id)');
select col_is_unique('uns_meta', 'device_path_lineage', array['device_id', 'old_uns_path', 'new_uns_path'], 'device_path_lineage (device_id, old_uns_path, new_uns_path) is unique');
select fk_ok('uns_meta', 'device_path_lineage', 'device_id', 'uns_meta', 'devices', 'device_id', 'device_path_lineage.device_id references devices');
select is((select confdeltype::text from pg_constraint where conname = 'device_path_lineage_device_id_fkey' and conrelid = 'uns_meta.device_path_lineage'::regclass),
          'c', 'device_path_lineage_device_id_fkey is ON DELETE CASCADE');
select bag_eq($$select conname::text, contype::text from pg_constraint where conrelid = 'uns_meta.device_path_lineage'::regclass and contype <> 'n'$$,
              $$values ('device_path_lineage_pkey', 'p'), ('device_path_lineage_device_id_fkey', 'f'), ('uq_device_lineage', 'u'), ('chk_device_path_lineage_changed', 'c')$$,
              'device_path_lineage has exactly its constraints');
select indexes_are('uns_meta', 'device_path_lineage', array['device_path_lineage_pkey', 'uq_device_lineage', 'ix_device_path_lineage_old_uns_path', 'ix_device_path_lineage_new_uns_path'],
                   'device_path_lineage has exactly its key and unique indexes plus one on each path');
select has_index('uns_meta', 'device_path_lineage', 'ix_device_path_lineage_old_uns_path', array['old_uns_path'], 'ix_device_path_lineage_old_uns_path indexes old_uns_path (find what a path became)');
select has_index('uns_meta', 'device_path_lineage', 'ix_device_path_lineage_new_uns_path', array['new_uns_path'], 'ix_device_path_lineage_new_uns_path indexes new_uns_path (find what a path was)');
select index_is_type('uns_meta', 'device_path_lineage', i, 'btree', format('%s is a btree', i))
  from unnest(array['ix_device_path_lineage_old_uns_path', 'ix_device_path_lineage_new_uns_path']) as i;
select triggers_are('uns_meta', 'device_path_lineage', array['_100_append_only', '_100_append_only_truncate'], 'device_path_lineage has exactly its two append-only triggers');
select has_trigger('uns_meta', 'device_path_lineage', t, format('device_path_lineage has trigger %s', t))
  from unnest(array['_100_append_only', '_100_append_only_truncate']) as t;
select trigger_is('uns_meta', 'device_path_lineage', t, 'uns_meta', 'tg__append_only', format('%s calls tg__append_only()', t))
  from unnest(array['_100_append_only', '_100_append_only_truncate']) as t;
-- tgtype bits: 1 ROW, 2 BEFORE, 4 INSERT, 8 DELETE, 16 UPDATE, 32 TRUNCATE.
select is((select tgtype::int from pg_trigger where tgrelid = 'uns_meta.device_path_lineage'::regclass and tgname = '_100_append_only'),
          1 | 2 | 8 | 16, '_100_append_only fires BEFORE UPDATE OR DELETE FOR EACH ROW');
select is((select tgtype::int from pg_trigger where tgrelid = 'uns_meta.device_path_lineage'::regclass and tgname = '_100_append_only_truncate'),
          2 | 32, '_100_append_only_truncate fires BEFORE TRUNCATE FOR EACH STATEMENT');
select isnt(obj_description('uns_meta.device_path_lineage'::regclass, 'pg_class'), null, 'device_path_lineage has a table comment');
select is((select array_agg(attname::text order by attnum) from pg_attribute
            where attrelid = 'uns_meta.device_path_lineage'::regclass and attnum > 0 and not attisdropped
              and coalesce(col_description(attrelid, attnum), '') = ''),
          null, 'every column of device_path_lineage has a comment');

-- Privileges (catalogue).
select table_privs_are('uns_meta', 'device_path_lineage', 'uns_meta_admin',
                       array['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE'], 'uns_meta_admin owns device_path_lineage');
select table_privs_are('uns_meta', 'device_path_lineage', 'uns_meta_app', array['INSERT', 'SELECT'], 'uns_meta_app may only read and append device_path_lineage');
select table_privs_are('uns_meta', 'device_path_lineage', 'uns_meta_ro', array['SELECT'], 'uns_meta_ro may only read device_path_lineage');
select table_privs_are('uns_meta', 'device_path_lineage', 'uns_meta_cdc', array[]::text[], 'uns_meta_cdc has no privilege on device_path_lineage');
select table_privs_are('uns_meta', 'device_path_lineage', 'public', array[]::text[], 'PUBLIC has no privilege on device_path_lineage');

insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'D', 'G/E/D');
insert into uns_meta.metrics (device_id, name, uns_path, datatype) select device_id, 'm', 'G/E/D/m', 10 from uns_meta.devices;
create temp table p as select device_id from uns_meta.devices where uns_path = 'G/E/D';
grant select on p to uns_meta_app, uns_meta_ro, uns_meta_cdc;

-- uns_meta_app appends; the grants stop everything else.
set local role uns_meta_app;
select lives_ok($$insert into uns_meta.device_path_lineage (device_id, old_uns_path, new_uns_path, reason)
                  select device_id, 'G/E/d', 'G/E/D', 'segment normaliser: spaces kept' from p$$,
                'uns_meta_app can append a path change');
select lives_ok($$insert into uns_meta.device_path_lineage (device_id, old_uns_path, new_uns_path) select device_id, 'G/E/D', 'G/Portugal/D' from p$$,
                'uns_meta_app can append the next path change');
select results_eq($$select old_uns_path, new_uns_path, changed_by, changed_at = now() from uns_meta.device_path_lineage order by lineage_id$$,
                  $$values ('G/E/d', 'G/E/D', 'system', true), ('G/E/D', 'G/Portugal/D', 'system', true)$$,
                  'uns_meta_app reads the lineage back in order, with the defaults changed_by = system and changed_at = now()');
select throws_ok($$update uns_meta.device_path_lineage set reason = 'x'$$, '42501', 'permission denied for table device_path_lineage',
                 'uns_meta_app cannot UPDATE device_path_lineage (no privilege)');
select throws_ok($$delete from uns_meta.device_path_lineage$$, '42501', 'permission denied for table device_path_lineage',
                 'uns_meta_app cannot DELETE from device_path_lineage (no privilege)');
select throws_ok($$truncate uns_meta.device_path_lineage$$, '42501', 'permission denied for table device_path_lineage',
                 'uns_meta_app cannot TRUNCATE device_path_lineage (no privilege)');
reset role;
set local role uns_meta_ro;
select is((select count(*)::int from uns_meta.device_path_lineage), 2, 'uns_meta_ro can read device_path_lineage');
select throws_ok($$insert into uns_meta.device_path_lineage (device_id, old_uns_path, new_uns_path) select device_id, 'a', 'b' from p$$,
                 '42501', 'permission denied for table device_path_lineage', 'uns_meta_ro cannot INSERT into device_path_lineage');
select throws_ok($$update uns_meta.device_path_lineage set reason = 'x'$$, '42501', 'permission denied for table device_path_lineage', 'uns_meta_ro cannot UPDATE device_path_lineage');
select throws_ok($$delete from uns_meta.device_path_lineage$$, '42501', 'permission denied for table device_path_lineage', 'uns_meta_ro cannot DELETE from device_path_lineage');
select throws_ok($$truncate uns_meta.device_path_lineage$$, '42501', 'permission denied for table device_path_lineage', 'uns_meta_ro cannot TRUNCATE device_path_lineage');
reset role;
set local role uns_meta_cdc;
select throws_ok($$select * from uns_meta.device_path_lineage$$, '42501', 'permission denied for table device_path_lineage', 'uns_meta_cdc cannot read device_path_lineage (not published)');
reset role;

-- The trigger: even with the privileges, no one but uns_meta_admin edits history.
grant update, delete, truncate on uns_meta.device_path_lineage to uns_meta_app;
set local role uns_meta_app;
select is(pg_temp.error_of($$update uns_meta.device_path_lineage set reason = 'rewritten'$$),
          'U0102 append_only: uns_meta.device_path_lineage is append-only: UPDATE is not allowed for role uns_meta_app',
          'uns_meta_app granted UPDATE still gets U0102 (constraint append_only)');
select is(pg_temp.error_of($$update uns_meta.device_path_lineage set new_uns_path = new_uns_path$$),
          'U0102 append_only: uns_meta.device_path_lineage is append-only: UPDATE is not allowed for role uns_meta_app',
          '... even for an identical UPDATE');
select throws_ok($$delete from uns_meta.device_path_lineage$$, 'U0102', 'uns_meta.device_path_lineage is append-only: DELETE is not allowed for role uns_meta_app',
                 'uns_meta_app granted DELETE still gets U0102');
select is(pg_temp.error_of($$truncate uns_meta.device_path_lineage$$),
          'U0102 append_only: uns_meta.device_path_lineage is append-only: TRUNCATE is not allowed for role uns_meta_app',
          'uns_meta_app granted TRUNCATE still gets U0102');
reset role;
revoke update, delete, truncate on uns_meta.device_path_lineage from uns_meta_app;
select results_eq($$select old_uns_path, new_uns_path, reason from uns_meta.device_path_lineage order by lineage_id$$,
                  $$values ('G/E/d', 'G/E/D', 'segment normaliser: spaces kept'), ('G/E/D', 'G/Portugal/D', null)$$,
                  'the lineage is intact');
select results_eq($$with recursive chain(path, depth) as (
                      select 'G/E/d'::text, 0
                      union all
                      select l.new_uns_path, c.depth + 1 from chain c join uns_meta.device_path_lineage l on l.old_uns_path = c.path)
                    select path from chain order by depth$$,
                  $$values ('G/E/d'), ('G/E/D'), ('G/Portugal/D')$$,
                  'the chain of paths is followed old -> new through the lineage');

-- uns_meta_admin (DBA maintenance) may edit history; identical updates change nothing.
create temp table seen as select * from uns_meta.device_path_lineage;
update uns_meta.device_path_lineage set reason = reason;
update uns_meta.device_path_lineage set reason = reason, old_uns_path = old_uns_path;
select results_eq($$select * from uns_meta.device_path_lineage order by lineage_id$$, $$select * from seen order by lineage_id$$,
                  'uns_meta_admin: two identical UPDATEs leave the rows unchanged');
select lives_ok($$update uns_meta.device_path_lineage set reason = 'annotated by DBA'$$, 'uns_meta_admin may UPDATE');
select lives_ok($$delete from uns_meta.device_path_lineage where new_uns_path = 'G/Portugal/D'$$, 'uns_meta_admin may DELETE');
select lives_ok($$truncate uns_meta.device_path_lineage$$, 'uns_meta_admin may TRUNCATE');
select is((select count(*)::int from uns_meta.device_path_lineage), 0, '... and it is applied');

-- Constraint violations.
insert into uns_meta.device_path_lineage (device_id, old_uns_path, new_uns_path) select device_id, 'a', 'b' from p;
select throws_ok($$insert into uns_meta.device_path_lineage (device_id, old_uns_path, new_uns_path) select device_id, 'a', 'b' from p$$,
                 '23505', 'duplicate key value violates unique constraint "uq_device_lineage"', 'the same change is recorded once per device (uq_device_lineage)');
select lives_ok($$insert into uns_meta.device_path_lineage (device_id, old_uns_path, new_uns_path) select device_id, 'b', 'a' from p$$,
                'the way back is another change');
select throws_ok($$insert into uns_meta.device_path_lineage (lineage_id, device_id, old_uns_path, new_uns_path) overriding system value
                   select l.lineage_id, l.device_id, 'x', 'y' from uns_meta.device_path_lineage l limit 1$$,
                 '23505', 'duplicate key value violates unique constraint "device_path_lineage_pkey"', 'lineage_id is unique (device_path_lineage_pkey)');
select throws_ok($$insert into uns_meta.device_path_lineage (lineage_id, device_id, old_uns_path, new_uns_path) select 1, device_id, 'x', 'y' from p$$,
                 '428C9', 'cannot insert a non-DEFAULT value into column "lineage_id"', 'lineage_id is generated, never supplied');
select throws_ok($$insert into uns_meta.device_path_lineage (device_id, old_uns_path, new_uns_path) values (-1, 'x', 'y')$$,
                 '23503', 'insert or update on table "device_path_lineage" violates foreign key constraint "device_path_lineage_device_id_fkey"',
                 'lineage needs an existing device');
select throws_ok($$insert into uns_meta.device_path_lineage (device_id, old_uns_path, new_uns_path) select device_id, 'same', 'same' from p$$,
                 '23514', 'new row for relation "device_path_lineage" violates check constraint "chk_device_path_lineage_changed"', 'chk_device_path_lineage_changed: old and new paths differ');
select throws_ok(format($$insert into uns_meta.device_path_lineage (%s) select %s from p$$, cols, vals), '23502',
                 format('null value in column "%s" of relation "device_path_lineage" violates not-null constraint', c),
                 format('device_path_lineage.%s cannot be NULL', c))
  from (values ('device_id', 'device_id, old_uns_path, new_uns_path', 'null::bigint, ''x'', ''y'''),
               ('old_uns_path', 'device_id, old_uns_path, new_uns_path', 'device_id, null, ''y'''),
               ('new_uns_path', 'device_id, old_uns_path, new_uns_path', 'device_id, ''x'', null'),
               ('changed_at', 'device_id, old_uns_path, new_uns_path, changed_at', 'device_id, ''x'', ''y'', null'),
               ('changed_by', 'device_id, old_uns_path, new_uns_path, changed_by', 'device_id, ''x'', ''y'', null')) as t(c, cols, vals);

-- ON DELETE CASCADE from devices (as admin): the cascade runs as the table owner, which the trigger admits.
select is((select count(*)::int from uns_meta.device_path_lineage where device_id = (select device_id from p)), 2, 'the device has lineage');
select lives_ok($$delete from uns_meta.devices where device_id = (select device_id from p)$$,
                'uns_meta_admin deletes the device: the cascade passes the append-only trigger');
select is((select count(*)::int from uns_meta.device_path_lineage where device_id = (select device_id from p)), 0,
          'deleting a device deletes its lineage (ON DELETE CASCADE)');

select * from finish();
rollback;
