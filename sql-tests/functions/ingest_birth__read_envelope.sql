-- pgTAP: uns_meta.ingest_birth__read_envelope(jsonb), step 1 of ingest_birth: the envelope's checks and the parts it
-- hands to the later steps. (Every message of a malformed envelope, through ingest_birth: ingest_birth/malformed_input.sql.)
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
select plan(16);
\ir ingest_birth/_helpers.psql

select volatility_is('uns_meta', 'ingest_birth__read_envelope', array['jsonb'], 'stable', 'read_envelope is stable (now() for a missing received_at)');
select isnt_definer('uns_meta', 'ingest_birth__read_envelope', array['jsonb'], 'read_envelope is SECURITY INVOKER');

-- A chunk of a birth with every field.
select * from uns_meta.ingest_birth__read_envelope(
  '{"topic": "spBv1.0/Grp/DBIRTH/Edge/Dev", "received_at": "2026-11-21T10:00:00.123+01:00",
    "payload": {"metrics": [{"name": "a"}]}, "chunk": {"index": 2, "last": false}}') \gset e_
select is(:'e_o_topic'::text, 'spBv1.0/Grp/DBIRTH/Edge/Dev', 'o_topic is the topic');
select is(:'e_o_parts'::text[], array['spBv1.0', 'Grp', 'DBIRTH', 'Edge', 'Dev'], 'o_parts are its levels');
select is(:'e_o_received_at'::timestamptz, '2026-11-21T09:00:00.123Z'::timestamptz, 'o_received_at is received_at');
select is(:'e_o_metrics'::jsonb, '[{"name": "a"}]'::jsonb, 'o_metrics is payload.metrics');
select is(array[:'e_o_chunk_index', :'e_o_last']::text[], array['2', 'f'], 'o_chunk_index and o_last are the chunk''s index and last');
select is(:'e_o_source'::text, 'spBv1.0/Grp/DBIRTH/Edge/Dev received 2026-11-21T09:00:00.123Z',
          'o_source is "<topic> received <received_at in UTC, milliseconds>"');

-- The defaults: no chunk, no received_at, no metrics.
select is((select array[o_chunk_index::text, o_last::text, o_metrics::text, (o_received_at = now())::text]
             from uns_meta.ingest_birth__read_envelope('{"topic": "spBv1.0/G/DBIRTH/E/D", "payload": {}}')),
          array[null, 'true', '[]', 'true']::text[],
          'an unchunked birth: no chunk index, last; payload without metrics: []; received_at missing: now()');
select is((select o_fingerprint from uns_meta.ingest_birth__read_envelope('{"topic": "spBv1.0/G/DBIRTH/E/D", "payload": {}}')),
          null, 'no "fingerprint": o_fingerprint is null');
select is((select encode(o_fingerprint, 'hex') from uns_meta.ingest_birth__read_envelope(
             '{"topic": "spBv1.0/G/DBIRTH/E/D", "payload": {}, "fingerprint": "abababababababababababababababababababababababababababababababab"}')),
          'abababababababababababababababababababababababababababababababab', 'the ingestor''s "fingerprint" (64 hex digits): o_fingerprint is its bytes');

-- Refusals, each with its SQLSTATE.
select is(pg_temp.error_of($$select uns_meta.ingest_birth__read_envelope('{"topic": "spBv1.0/G/NDATA/E", "payload": {}}')$$),
          'U0002: ingest_birth: topic spBv1.0/G/NDATA/E is a NDATA message; only DBIRTH is ingested', 'another message type: U0002');
select is(pg_temp.error_of($$select uns_meta.ingest_birth__read_envelope('{"topic": "spBv1.0/G/DBIRTH/E/D", "payload": {}, "chunk": {"index": -1, "last": true}}')$$),
          'U0003: ingest_birth: field "chunk" must be {"index": <0, 1, 2, ...>, "last": <true on the final chunk>}', 'a negative chunk index: U0003');
select is(pg_temp.error_of($$select uns_meta.ingest_birth__read_envelope('{"topic": "spBv1.0/G/DBIRTH/E/D", "received_at": 5, "payload": {}}')$$),
          'U0001: ingest_birth: field "received_at" (5) must be an ISO-8601 timestamp string', 'received_at not a string: U0001');
select is(pg_temp.error_of($$select uns_meta.ingest_birth__read_envelope('{"topic": "spBv1.0/G/DBIRTH/E/D", "payload": {"metrics": {}}}')$$),
          'U0001: ingest_birth: field "payload.metrics" must be an array', 'payload.metrics not an array: U0001');
select is(pg_temp.error_of($$select uns_meta.ingest_birth__read_envelope('{"topic": "spBv1.0/G/DBIRTH/E/D", "payload": {}, "fingerprint": "ABC"}')$$),
          'U0001: ingest_birth: field "fingerprint" must be 64 lowercase hex digits (the sha-256 of the birth, docs/sql-api.md)',
          'a fingerprint that is not 64 lowercase hex digits: U0001');

select * from finish();
rollback;
