-- pgTAP: uns_meta.dead_letters, the ingestor's append-only log of messages it could not apply (undecodable payload,
-- a birth ingest_birth refused): topic, received time, raw bytes, reason, SQLSTATE.
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
select plan(33);

-- Structure.
select has_table('uns_meta', 'dead_letters', 'table uns_meta.dead_letters exists');
select table_owner_is('uns_meta', 'dead_letters', 'uns_meta_admin', 'dead_letters is owned by uns_meta_admin');
select columns_are('uns_meta', 'dead_letters',
                   array['dead_letter_id', 'topic', 'received_at', 'payload', 'payload_size', 'reason', 'sqlstate', 'dead_lettered_at'],
                   'dead_letters has exactly its columns');
select col_type_is('uns_meta', 'dead_letters', c, t, format('dead_letters.%s is %s', c, t))
  from (values ('dead_letter_id', 'bigint'), ('topic', 'text'), ('received_at', 'timestamp with time zone'), ('payload', 'bytea'),
               ('payload_size', 'bigint'), ('reason', 'text'), ('sqlstate', 'text'), ('dead_lettered_at', 'timestamp with time zone')) as t(c, t);
select col_not_null('uns_meta', 'dead_letters', c, format('dead_letters.%s is NOT NULL', c))
  from unnest(array['dead_letter_id', 'topic', 'received_at', 'payload', 'payload_size', 'reason', 'dead_lettered_at']) as c;
select col_is_null('uns_meta', 'dead_letters', 'sqlstate', 'dead_letters.sqlstate is nullable (decode failures have none)');
select col_is_pk('uns_meta', 'dead_letters', 'dead_letter_id', 'dead_letters primary key is (dead_letter_id)');
select triggers_are('uns_meta', 'dead_letters', array['_100_append_only', '_100_append_only_truncate'], 'dead_letters has its two append-only triggers');
select has_index('uns_meta', 'dead_letters', 'ix_dead_letters_dead_lettered_at', array['dead_lettered_at'], 'dead letters by time');

-- Privileges.
select table_privs_are('uns_meta', 'dead_letters', 'uns_meta_app', array['INSERT', 'SELECT'], 'uns_meta_app may only read and append dead_letters');
select table_privs_are('uns_meta', 'dead_letters', 'uns_meta_ro', array['SELECT'], 'uns_meta_ro may only read dead_letters');
select table_privs_are('uns_meta', 'dead_letters', 'public', array[]::text[], 'PUBLIC has no privilege on dead_letters');

-- The ingestor appends; nothing else changes the log.
set local role uns_meta_app;
select lives_ok($$insert into uns_meta.dead_letters (topic, received_at, payload, payload_size, reason)
                  values ('spBv1.0/G/DBIRTH/E/D', '2026-11-21T10:00:00Z', '\x0801ff', 3, 'payload is not a Sparkplug B protobuf: truncated varint at offset 2')$$,
                'uns_meta_app records an undecodable payload');
select lives_ok($$insert into uns_meta.dead_letters (topic, received_at, payload, payload_size, reason, sqlstate)
                  values ('spBv1.0/G/DBIRTH/E/D', '2026-11-21T10:00:00Z', '\x08', 1000, 'ingest_birth: ...', 'U0001')$$,
                'uns_meta_app records a refused birth, truncated (payload_size > length(payload))');
select results_eq($$select length(payload), payload_size, sqlstate, dead_lettered_at = now() from uns_meta.dead_letters order by dead_letter_id$$,
                  $$values (3, 3::bigint, null::text, true), (1, 1000::bigint, 'U0001', true)$$, 'both rows read back; dead_lettered_at defaults to now()');
select throws_ok($$update uns_meta.dead_letters set reason = 'x'$$, '42501', 'permission denied for table dead_letters', 'uns_meta_app cannot UPDATE');
select throws_ok($$delete from uns_meta.dead_letters$$, '42501', 'permission denied for table dead_letters', 'uns_meta_app cannot DELETE');
reset role;
grant update on uns_meta.dead_letters to uns_meta_app;
set local role uns_meta_app;
select is(pg_temp.error_of($$update uns_meta.dead_letters set reason = 'x'$$),
          'U0102 append_only: uns_meta.dead_letters is append-only: UPDATE is not allowed for role uns_meta_app', 'granted UPDATE: still U0102');
reset role;
revoke update on uns_meta.dead_letters from uns_meta_app;

-- Constraints.
select throws_ok($$insert into uns_meta.dead_letters (topic, received_at, payload, payload_size, reason) values ('t', now(), '\x0102', 1, 'r')$$,
                 '23514', null, 'payload_size cannot be smaller than the stored bytes');
select throws_ok($$insert into uns_meta.dead_letters (topic, received_at, payload, payload_size, reason) values ('t', now(), '\x', 0, '')$$,
                 '23514', null, 'a dead letter needs a reason');

select * from finish();
rollback;
