-- pgTAP: uns_meta.ingest_rejections, the append-only log of what ingest refused: a metric of a birth (metric_name
-- set; the rest of the birth applied, written by ingest_birth) or a whole birth (metric_name NULL; written by the
-- caller after its failed transaction). Append-only has two layers: the grants (uns_meta_app may only SELECT and
-- INSERT, uns_meta_ro only SELECT) and the trigger (U0102 for any role but uns_meta_admin).
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
select plan(55);

-- Structure.
select has_table('uns_meta', 'ingest_rejections', 'table uns_meta.ingest_rejections exists');
select table_owner_is('uns_meta', 'ingest_rejections', 'uns_meta_admin', 'ingest_rejections is owned by uns_meta_admin');
select columns_are('uns_meta', 'ingest_rejections', array['rejection_id', 'topic', 'metric_name', 'reason', 'detail', 'received_at', 'rejected_at'],
                   'ingest_rejections has exactly its columns');
select col_type_is('uns_meta', 'ingest_rejections', c, t, format('ingest_rejections.%s is %s', c, t))
  from (values ('rejection_id', 'bigint'), ('topic', 'text'), ('metric_name', 'text'), ('reason', 'text'), ('detail', 'jsonb'),
               ('received_at', 'timestamp with time zone'), ('rejected_at', 'timestamp with time zone')) as t(c, t);
select col_not_null('uns_meta', 'ingest_rejections', c, format('ingest_rejections.%s is NOT NULL', c))
  from unnest(array['rejection_id', 'topic', 'reason', 'rejected_at']) as c;
select col_is_null('uns_meta', 'ingest_rejections', c, format('ingest_rejections.%s is nullable', c))
  from unnest(array['metric_name', 'detail', 'received_at']) as c;
select col_default_is('uns_meta', 'ingest_rejections', 'rejected_at', 'now()', 'ingest_rejections.rejected_at defaults to now()');
select is((select attidentity::text from pg_attribute where attrelid = 'uns_meta.ingest_rejections'::regclass and attname = 'rejection_id'),
          'a', 'ingest_rejections.rejection_id is GENERATED ALWAYS AS IDENTITY');
select col_is_pk('uns_meta', 'ingest_rejections', 'rejection_id', 'ingest_rejections primary key is (rejection_id)');
select bag_eq($$select conname::text, contype::text from pg_constraint where conrelid = 'uns_meta.ingest_rejections'::regclass and contype <> 'n'$$,
              $$values ('ingest_rejections_pkey', 'p')$$, 'ingest_rejections has only its primary key (no FK: a rejected device may not exist)');
select indexes_are('uns_meta', 'ingest_rejections', array['ingest_rejections_pkey', 'ix_ingest_rejections_rejected_at', 'ix_ingest_rejections_topic'],
                   'ingest_rejections has its key index plus one by time and one by topic');
select has_index('uns_meta', 'ingest_rejections', 'ix_ingest_rejections_rejected_at', array['rejected_at'], 'ix_ingest_rejections_rejected_at indexes rejected_at (recent rejections)');
select has_index('uns_meta', 'ingest_rejections', 'ix_ingest_rejections_topic', array['topic', 'rejected_at'], 'ix_ingest_rejections_topic indexes (topic, rejected_at) (a device''s rejections)');
select triggers_are('uns_meta', 'ingest_rejections', array['_100_append_only', '_100_append_only_truncate'], 'ingest_rejections has exactly its two append-only triggers');
select trigger_is('uns_meta', 'ingest_rejections', t, 'uns_meta', 'tg__append_only', format('%s calls tg__append_only()', t))
  from unnest(array['_100_append_only', '_100_append_only_truncate']) as t;
-- tgtype bits: 1 ROW, 2 BEFORE, 4 INSERT, 8 DELETE, 16 UPDATE, 32 TRUNCATE.
select is((select tgtype::int from pg_trigger where tgrelid = 'uns_meta.ingest_rejections'::regclass and tgname = '_100_append_only'),
          1 | 2 | 8 | 16, '_100_append_only fires BEFORE UPDATE OR DELETE FOR EACH ROW');
select is((select tgtype::int from pg_trigger where tgrelid = 'uns_meta.ingest_rejections'::regclass and tgname = '_100_append_only_truncate'),
          2 | 32, '_100_append_only_truncate fires BEFORE TRUNCATE FOR EACH STATEMENT');
select isnt(obj_description('uns_meta.ingest_rejections'::regclass, 'pg_class'), null, 'ingest_rejections has a table comment');
select is((select array_agg(attname::text order by attnum) from pg_attribute
            where attrelid = 'uns_meta.ingest_rejections'::regclass and attnum > 0 and not attisdropped
              and coalesce(col_description(attrelid, attnum), '') = ''),
          null, 'every column of ingest_rejections has a comment');
select is((select count(*)::int from pg_publication_tables where tablename = 'ingest_rejections'), 0, 'ingest_rejections is not published');

-- Privileges (catalogue).
select table_privs_are('uns_meta', 'ingest_rejections', 'uns_meta_admin',
                       array['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE'], 'uns_meta_admin owns ingest_rejections');
select table_privs_are('uns_meta', 'ingest_rejections', 'uns_meta_app', array['INSERT', 'SELECT'], 'uns_meta_app may only read and append ingest_rejections');
select table_privs_are('uns_meta', 'ingest_rejections', 'uns_meta_ro', array['SELECT'], 'uns_meta_ro may only read ingest_rejections');
select table_privs_are('uns_meta', 'ingest_rejections', 'uns_meta_cdc', array[]::text[], 'uns_meta_cdc has no privilege on ingest_rejections');
select table_privs_are('uns_meta', 'ingest_rejections', 'public', array[]::text[], 'PUBLIC has no privilege on ingest_rejections');

-- uns_meta_app appends (a metric rejection, a whole-birth rejection); the grants stop everything else.
set local role uns_meta_app;
select lives_ok($$insert into uns_meta.ingest_rejections (topic, metric_name, reason, detail, received_at)
                  values ('spBv1.0/G/DBIRTH/E/D', 'A/b  c', 'its UNS path G/E/D/A/b c is also the path of A/b c, earlier in this birth',
                          '{"uns_path": "G/E/D/A/b c"}', '2026-11-21T10:00:00Z')$$, 'uns_meta_app records a rejected metric');
select lives_ok($$insert into uns_meta.ingest_rejections (topic, reason, detail) values ('spBv1.0/G/DBIRTH/E/D', 'malformed birth', '{"sqlstate": "U0001"}')$$,
                'uns_meta_app records a rejected birth (no metric name, no received_at)');
select results_eq($$select metric_name, received_at, rejected_at = now() from uns_meta.ingest_rejections order by rejection_id$$,
                  $$values ('A/b  c', '2026-11-21 10:00:00+00'::timestamptz, true), (null, null, true)$$,
                  'uns_meta_app reads them back; rejected_at defaults to now()');
select throws_ok($$update uns_meta.ingest_rejections set reason = 'x'$$, '42501', 'permission denied for table ingest_rejections', 'uns_meta_app cannot UPDATE');
select throws_ok($$delete from uns_meta.ingest_rejections$$, '42501', 'permission denied for table ingest_rejections', 'uns_meta_app cannot DELETE');
select throws_ok($$truncate uns_meta.ingest_rejections$$, '42501', 'permission denied for table ingest_rejections', 'uns_meta_app cannot TRUNCATE');
reset role;
set local role uns_meta_ro;
select is((select count(*)::int from uns_meta.ingest_rejections), 2, 'uns_meta_ro can read ingest_rejections');
select throws_ok($$insert into uns_meta.ingest_rejections (topic, reason) values ('t', 'r')$$, '42501', 'permission denied for table ingest_rejections',
                 'uns_meta_ro cannot INSERT');
reset role;
set local role uns_meta_cdc;
select throws_ok($$select * from uns_meta.ingest_rejections$$, '42501', 'permission denied for table ingest_rejections', 'uns_meta_cdc cannot read');
reset role;

-- The trigger: even with the privileges, no one but uns_meta_admin edits the log.
grant update, delete, truncate on uns_meta.ingest_rejections to uns_meta_app;
set local role uns_meta_app;
select is(pg_temp.error_of($$update uns_meta.ingest_rejections set reason = 'x'$$),
          'U0102 append_only: uns_meta.ingest_rejections is append-only: UPDATE is not allowed for role uns_meta_app', 'granted UPDATE: still U0102');
select is(pg_temp.error_of($$delete from uns_meta.ingest_rejections$$),
          'U0102 append_only: uns_meta.ingest_rejections is append-only: DELETE is not allowed for role uns_meta_app', 'granted DELETE: still U0102');
select is(pg_temp.error_of($$truncate uns_meta.ingest_rejections$$),
          'U0102 append_only: uns_meta.ingest_rejections is append-only: TRUNCATE is not allowed for role uns_meta_app', 'granted TRUNCATE: still U0102');
reset role;
revoke update, delete, truncate on uns_meta.ingest_rejections from uns_meta_app;
select is((select count(*)::int from uns_meta.ingest_rejections), 2, 'the log is intact');
select lives_ok($$delete from uns_meta.ingest_rejections where rejected_at < now() - interval '90 days'$$,
                'uns_meta_admin may purge old rejections');

-- Constraints.
select throws_ok(format($$insert into uns_meta.ingest_rejections (%s) values (%s)$$, cols, vals), '23502',
                 format('null value in column "%s" of relation "ingest_rejections" violates not-null constraint', c), format('ingest_rejections.%s cannot be NULL', c))
  from (values ('topic', 'topic, reason', 'null, ''r'''), ('reason', 'topic, reason', '''t'', null'),
               ('rejected_at', 'topic, reason, rejected_at', '''t'', ''r'', null')) as t(c, cols, vals);
select throws_ok($$insert into uns_meta.ingest_rejections (rejection_id, topic, reason) values (1, 't', 'r')$$, '428C9',
                 'cannot insert a non-DEFAULT value into column "rejection_id"', 'rejection_id is generated, never supplied');

select * from finish();
rollback;
