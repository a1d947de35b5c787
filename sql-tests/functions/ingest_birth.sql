-- pgTAP: uns_meta.ingest_birth(jsonb) -- the function itself: signature, security, grants, the shape of its
-- summary, and the per-device advisory lock that serialises births of one device. Its behaviour is tested in
-- sql-tests/functions/ingest_birth/ (plant fixture and no-op re-birth, property types, collisions, path rules,
-- retirement, property changes, debounce, atomicity, malformed input, chunks), and each of its steps in
-- sql-tests/functions/ingest_birth__<step>.sql.
-- Concurrency itself (two sessions delivering the same DBIRTH at once) cannot be shown in one pgTAP session;
-- the vitest suite covers it. Here: the lock is taken, per device, for the rest of the transaction.
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local extra_float_digits = 1;
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(33);
\ir ingest_birth/_helpers.psql

-- Structure.
select has_function('uns_meta', 'ingest_birth', array['jsonb'], 'function uns_meta.ingest_birth(jsonb) exists');
select function_returns('uns_meta', 'ingest_birth', array['jsonb'], 'jsonb', 'ingest_birth(jsonb) returns jsonb');
select function_lang_is('uns_meta', 'ingest_birth', array['jsonb'], 'plpgsql', 'ingest_birth(jsonb) is PL/pgSQL');
select volatility_is('uns_meta', 'ingest_birth', array['jsonb'], 'volatile', 'ingest_birth(jsonb) is volatile');
select isnt_definer('uns_meta', 'ingest_birth', array['jsonb'], 'ingest_birth(jsonb) is SECURITY INVOKER (it writes with the caller''s rights)');
select is((select proargnames from pg_proc where oid = 'uns_meta.ingest_birth(jsonb)'::regprocedure), array['birth'],
          'its argument is named birth (callable as ingest_birth(birth => ...))');
select ok((select 'search_path=pg_catalog, pg_temp' = any(proconfig) from pg_proc where oid = 'uns_meta.ingest_birth(jsonb)'::regprocedure),
          'ingest_birth(jsonb) pins search_path = pg_catalog, pg_temp (every object is schema-qualified)');
select function_owner_is('uns_meta', 'ingest_birth', array['jsonb'], 'uns_meta_admin', 'ingest_birth(jsonb) is owned by uns_meta_admin');
select isnt(obj_description('uns_meta.ingest_birth(jsonb)'::regprocedure, 'pg_proc'), null, 'ingest_birth(jsonb) has a comment');
select has_function('uns_meta', 'ingest_birth_prepare_session', array[]::name[], 'its helper ingest_birth_prepare_session() exists');
select isnt_definer('uns_meta', 'ingest_birth_prepare_session', array[]::name[], 'ingest_birth_prepare_session() is SECURITY INVOKER');

-- Grants.
select function_privs_are('uns_meta', 'ingest_birth', array['jsonb'], 'uns_meta_app', array['EXECUTE'], 'uns_meta_app may execute ingest_birth(jsonb)');
select function_privs_are('uns_meta', 'ingest_birth', array['jsonb'], 'uns_meta_ro', array[]::text[], 'uns_meta_ro may not execute ingest_birth(jsonb)');
select function_privs_are('uns_meta', 'ingest_birth', array['jsonb'], 'uns_meta_cdc', array[]::text[], 'uns_meta_cdc may not execute ingest_birth(jsonb)');
select function_privs_are('uns_meta', 'ingest_birth', array['jsonb'], 'public', array[]::text[], 'PUBLIC may not execute ingest_birth(jsonb)');
select function_privs_are('uns_meta', 'ingest_birth_prepare_session', array[]::name[], 'uns_meta_app', array['EXECUTE'],
                          'uns_meta_app may execute ingest_birth_prepare_session()');
select function_privs_are('uns_meta', 'ingest_birth_prepare_session', array[]::name[], 'public', array[]::text[],
                          'PUBLIC may not execute ingest_birth_prepare_session()');
set local role uns_meta_ro;
select throws_ok($$select uns_meta.ingest_birth('{"topic": "spBv1.0/G/DBIRTH/E/D", "payload": {"metrics": []}}')$$, '42501',
                 'permission denied for function ingest_birth', 'uns_meta_ro calling ingest_birth: 42501');
reset role;
set local role uns_meta_cdc;
select throws_ok($$select uns_meta.ingest_birth('{"topic": "spBv1.0/G/DBIRTH/E/D", "payload": {"metrics": []}}')$$, '42501',
                 'permission denied for function ingest_birth', 'uns_meta_cdc calling ingest_birth: 42501');
reset role;

-- The summary.
set local role uns_meta_app;
select lives_ok($$select uns_meta.ingest_birth(birth => '{"topic": "spBv1.0/G/DBIRTH/E/D", "payload": {"metrics": [{"name": "m", "datatype": 9}]}}')$$,
                'uns_meta_app ingests a birth');
select pg_temp.birth('D', '[{"name": "m", "datatype": 9}]') as r \gset
reset role;
select is((select array_agg(k order by k) from jsonb_object_keys(:'r'::jsonb) as k),
          array['device_id', 'device_uns_path', 'jobs_enqueued', 'lineage_written', 'metrics', 'properties_written', 'rejections', 'versions_written'],
          'the summary has exactly its keys (plus "chunk" for a chunk)');
select is((select array_agg(k order by k) from jsonb_object_keys((:'r'::jsonb) -> 'metrics') as k),
          array['inserted', 'rejected', 'retired', 'revived', 'unchanged', 'updated'], 'summary.metrics counts every outcome');
select is(jsonb_typeof((:'r'::jsonb) -> 'rejections'), 'array', 'summary.rejections is an array');

-- The advisory lock: one per device (keyed by the Sparkplug ids), held until the end of the transaction.
create temp view my_advisory_locks as
  select ((classid::bigint << 32) | objid::bigint) as key, mode, granted, objsubid
    from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() and database = (select oid from pg_database where datname = current_database());
select results_eq($$select key, mode, granted, objsubid from my_advisory_locks$$,
                  $$values (hashtextextended('uns_meta.ingest_birth/G/E/D', 0), 'ExclusiveLock'::text, true, 1::smallint)$$,
                  'after a birth of spBv1.0/G/DBIRTH/E/D the transaction holds one exclusive advisory lock, key hashtextextended(''uns_meta.ingest_birth/G/E/D'', 0)');
set local role uns_meta_app;
select pg_temp.birth('D', '[{"name": "m", "datatype": 9}]') as r2 \gset
select pg_temp.birth('D2', '[{"name": "m", "datatype": 9}]') as r3 \gset
reset role;
select bag_eq($$select key from my_advisory_locks$$,
              $$values (hashtextextended('uns_meta.ingest_birth/G/E/D', 0)), (hashtextextended('uns_meta.ingest_birth/G/E/D2', 0))$$,
              'a second birth of the same device takes no second lock; another device takes its own');
set local client_min_messages = error;
select is(pg_advisory_unlock(hashtextextended('uns_meta.ingest_birth/G/E/D', 0)), false,
          'it is a transaction-level lock: pg_advisory_unlock() cannot release it (it ends with the transaction)');
set local client_min_messages = notice;
select is((select count(*)::int from my_advisory_locks), 2, '... and it is still held');
-- A device whose UNS path is renamed by rules keeps its lock key: the key is the Sparkplug identity.
insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('^G/E/D3$', 'G/E/Renamed', 'test');
set local role uns_meta_app;
select pg_temp.birth('D3', '[]') as r4 \gset
reset role;
select is((select count(*)::int from my_advisory_locks where key = hashtextextended('uns_meta.ingest_birth/G/E/D3', 0)), 1,
          'the lock key is the Sparkplug identity group/edge/device, not the (rewritable) UNS path');
select is((:'r4'::jsonb) ->> 'device_uns_path', 'G/E/Renamed', '(the device path was rewritten)');

-- The session's staging tables follow the definition of ingest_birth_prepare_session(): re-created while the
-- session runs (a deploy, as test/faults/live-deploy.test.ts does with a staging column more), it drops and makes
-- them anew at the next call; in the middle of a chunked birth of this transaction it refuses with 40001 instead.
set local role uns_meta_app;  -- the role of pg_temp.birth() above, which owns the session's staging tables
select uns_meta.ingest_birth_prepare_session();
select to_regclass('pg_temp.uns_meta_stage_props')::oid as staging_before \gset
select uns_meta.ingest_birth_prepare_session();
select is(to_regclass('pg_temp.uns_meta_stage_props')::oid, :'staging_before'::oid, 'a second call keeps the session''s staging tables');
insert into uns_meta_birth_state (device_id, next_chunk, changed) values (-1, 1, false);  -- a chunked birth in progress
reset role;
do $$ begin execute pg_get_functiondef('uns_meta.ingest_birth_prepare_session()'::regprocedure); end $$;
set local role uns_meta_app;
select throws_ok('select uns_meta.ingest_birth_prepare_session()', '40001',
                 'ingest_birth: its staging tables were redefined (a deploy) during this chunked birth; retry the birth from its first chunk',
                 're-created during a chunked birth of this transaction, it refuses with 40001 (callers retry the birth)');
delete from uns_meta_birth_state;
select uns_meta.ingest_birth_prepare_session();
select isnt(to_regclass('pg_temp.uns_meta_stage_props')::oid, :'staging_before'::oid,
            're-created, it makes the session''s staging tables anew at the next call');
select to_regclass('pg_temp.uns_meta_stage_props')::oid as staging_after \gset
select uns_meta.ingest_birth_prepare_session();
select is(to_regclass('pg_temp.uns_meta_stage_props')::oid, :'staging_after'::oid, '... and keeps those from then on');
reset role;

select * from finish();
rollback;
