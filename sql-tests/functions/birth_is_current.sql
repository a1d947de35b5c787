-- pgTAP: uns_meta.birth_is_current(topic, fingerprint) and the envelope's "fingerprint" of ingest_birth
-- (deploy/functions/birth_is_current.sql, step 3b of deploy/functions/ingest_birth.sql): a birth applied in full
-- with a fingerprint is remembered under it, chunked or not, and birth_is_current answers true for exactly that
-- device and fingerprint while the rules its paths come from are current; every case that must go the full way
-- answers false.
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(29);

-- 1. Structure -----------------------------------------------------------------------------------------------
select has_function('uns_meta', 'birth_is_current', array['text', 'bytea'], 'birth_is_current(text, bytea) exists');
select function_returns('uns_meta', 'birth_is_current', array['text', 'bytea'], 'boolean', 'it returns boolean');
select volatility_is('uns_meta', 'birth_is_current', array['text', 'bytea'], 'stable', 'it is STABLE: a read, no write');
select isnt_definer('uns_meta', 'birth_is_current', array['text', 'bytea'], 'it runs with the caller''s rights');
select function_privs_are('uns_meta', 'birth_is_current', array['text', 'bytea'], 'uns_meta_app', array['EXECUTE'], 'uns_meta_app may execute it');
select function_privs_are('uns_meta', 'birth_is_current', array['text', 'bytea'], r, array[]::text[], format('%s may not', r))
  from unnest(array['public', 'uns_meta_ro']) as r;

-- A DBIRTH envelope of spBv1.0/G/DBIRTH/E/<device>, with a fingerprint (hex) and a chunk when given.
create function pg_temp.birth(device text, metrics jsonb, fingerprint text default null, chunk jsonb default null) returns jsonb
  language sql volatile
as $$
  select uns_meta.ingest_birth(
           jsonb_build_object('topic', 'spBv1.0/G/DBIRTH/E/' || device, 'payload', jsonb_build_object('metrics', metrics))
           || case when fingerprint is not null then jsonb_build_object('fingerprint', fingerprint) else '{}' end
           || case when chunk is not null then jsonb_build_object('chunk', chunk) else '{}' end)
$$;
create function pg_temp.current(device text, fingerprint text) returns boolean language sql stable as $$
  select uns_meta.birth_is_current('spBv1.0/G/DBIRTH/E/' || device, decode(fingerprint, 'hex'))
$$;
select repeat('a1', 32) as fa, repeat('b2', 32) as fb, repeat('c3', 32) as fc,
       '[{"name": "A", "datatype": 10, "properties": {"keys": ["engUnit"], "values": [{"type": 12, "stringValue": "kW"}]}}, {"name": "B", "datatype": 11}]' as ab \gset

-- 2. Unchunked, as uns_meta_app ------------------------------------------------------------------------------
set local role uns_meta_app;
select is(pg_temp.current('D', :'fa'), false, 'an unknown device: false');
select pg_temp.birth('D', :'ab', :'fa') as first \gset
select is((select encode(fingerprint, 'hex') from uns_meta.birth_fingerprints as f join uns_meta.devices as d using (device_id) where d.device = 'D'),
          :'fa', 'a birth applied in full stores the envelope''s fingerprint');
select is(pg_temp.current('D', :'fa'), true, 'the same fingerprint: true');
select is(pg_temp.current('D', :'fb'), false, 'another fingerprint: false');
select is(pg_temp.current('Other', :'fa'), false, 'the same fingerprint on another device: false');
select is(uns_meta.birth_is_current('spBv1.0/G/NBIRTH/E/D', decode(:'fa', 'hex')), false, 'an NBIRTH topic: false');
select is(uns_meta.birth_is_current('spBv1.0/G/DBIRTH/E/D/x', decode(:'fa', 'hex')), false, 'a topic with too many levels: false');
select is(uns_meta.birth_is_current('not a topic', decode(:'fa', 'hex')), false, 'not a topic: false');
select is(uns_meta.birth_is_current(null, null), false, 'nulls: false');
-- ingest_birth's own no-op answers from the same fingerprint.
select is((pg_temp.birth('D', :'ab', :'fa')) #>> '{metrics,unchanged}', '2', 'ingest_birth with the same fingerprint: both metrics unchanged');
reset role;

-- 3. Chunked: stored at the final chunk ------------------------------------------------------------------------
set local role uns_meta_app;
select pg_temp.birth('C', '[{"name": "A", "datatype": 10}]', null, '{"index": 0, "last": false}') as c0 \gset
select is(pg_temp.current('C', :'fb'), false, 'before the final chunk: false');
select pg_temp.birth('C', '[{"name": "B", "datatype": 11}]', :'fb', '{"index": 1, "last": true}') as c1 \gset
select is(pg_temp.current('C', :'fb'), true, 'a chunked birth with the fingerprint on its final chunk: true');
-- A changed birth without a fingerprint replaces it with nothing (chunked) or with an md5 (unchunked).
select pg_temp.birth('C', '[{"name": "A", "datatype": 10}, {"name": "B", "datatype": 12}]') as md5 \gset
select is((select octet_length(fingerprint) from uns_meta.birth_fingerprints as f join uns_meta.devices as d using (device_id) where d.device = 'C'),
          16, 'a birth without "fingerprint" stores the md5 of its metrics instead');
select is(pg_temp.current('C', :'fb'), false, 'so the earlier fingerprint no longer matches');
reset role;

-- 4. What forgets a match ------------------------------------------------------------------------------------
-- New path rules (path_rules_version changes).
insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('^G/E/D/B$', 'G/E/D/Bee', 'test');
select is(pg_temp.current('D', :'fa'), false, 'after a rule change: false');
set local role uns_meta_app;
select is((pg_temp.birth('D', :'ab', :'fa')) #>> '{metrics,updated}', '1', 'and the same birth is applied in full (B moves)');
select is(pg_temp.current('D', :'fa'), true, 'then remembered under the new rules: true');
reset role;
-- The device's path edited by hand (devices is not versioned, the rules version stays).
update uns_meta.devices set uns_path = 'G/E/Elsewhere' where device = 'D';
select is(pg_temp.current('D', :'fa'), false, 'a device whose path is not the rules'' path: false');
update uns_meta.devices set uns_path = 'G/E/D' where device = 'D';
-- A DBA edit of metrics empties birth_fingerprints.
update uns_meta.metrics set datatype = 12 where name = 'B' and device_id = (select device_id from uns_meta.devices where device = 'D');
select is(pg_temp.current('D', :'fa'), false, 'after a DBA edit of the device''s metrics: false');
-- A birth with a rejected metric is not remembered.
set local role uns_meta_app;
select pg_temp.birth('D', '[{"name": "A", "datatype": 10}, {"name": "N", "reject": "a NUL character"}]', :'fc') as rejected \gset
select is(pg_temp.current('D', :'fc'), false, 'a birth with a rejection leaves no fingerprint: false');
reset role;

-- 5. The envelope field is checked ------------------------------------------------------------------------------
select is(pg_temp.error_of(format($$select pg_temp.birth('D', '[]', %L)$$, upper(:'fa'))),
          'U0001 -: ingest_birth: field "fingerprint" must be 64 lowercase hex digits (the sha-256 of the birth, docs/sql-api.md)',
          'an uppercase fingerprint is refused with U0001');
select is(pg_temp.error_of($$select uns_meta.ingest_birth('{"topic": "spBv1.0/G/DBIRTH/E/D", "payload": {}, "fingerprint": 7}')$$),
          'U0001 -: ingest_birth: field "fingerprint" must be 64 lowercase hex digits (the sha-256 of the birth, docs/sql-api.md)',
          'a fingerprint that is not a string is refused');

select * from finish();
rollback;
