-- pgTAP: malformed input to uns_meta.ingest_birth. The SQLSTATE is the project's class U0 -- U0001 a malformed
-- field (the message names the field, and the metric by index and name), U0002 a topic that is not a DBIRTH,
-- U0003 a chunk protocol error -- and nothing is written (checked once per class at the end).
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local extra_float_digits = 1;
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(55);
\ir _helpers.psql

select pg_temp.catalog_digest() as digest0 \gset
set local role uns_meta_app;

-- A call with one metric list: ib(metrics) = ingest_birth of spBv1.0/G/DBIRTH/E/D with those metrics.
create function pg_temp.ib(metrics text) returns text language sql as $$
  select format('select uns_meta.ingest_birth(%L)', jsonb_build_object('topic', 'spBv1.0/G/DBIRTH/E/D', 'payload', jsonb_build_object('metrics', metrics::jsonb)))
$$;

-- 1. The envelope ------------------------------------------------------------------------------------------------
select throws_ok($$select uns_meta.ingest_birth('[]')$$, 'U0001',
                 'ingest_birth: the argument must be a JSON object {"topic": ..., "received_at": ..., "payload": {...}}', 'not an object: U0001');
select throws_ok($$select uns_meta.ingest_birth(null)$$, 'U0001',
                 'ingest_birth: the argument must be a JSON object {"topic": ..., "received_at": ..., "payload": {...}}', 'NULL: U0001');
select throws_ok($$select uns_meta.ingest_birth('{"payload": {}}')$$, 'U0001', 'ingest_birth: field "topic" is missing or not a string',
                 'no topic: U0001 naming "topic"');
select throws_ok($$select uns_meta.ingest_birth('{"topic": 42, "payload": {}}')$$, 'U0001', 'ingest_birth: field "topic" is missing or not a string',
                 'a topic that is not a string: U0001');
select throws_ok($$select uns_meta.ingest_birth('{"topic": "plant/cement", "payload": {}}')$$, 'U0001',
                 'ingest_birth: field "topic" (plant/cement) is not a Sparkplug B topic spBv1.0/<group>/<type>/<edge>[/<device>]',
                 'not a Sparkplug topic: U0001 quoting it');
select throws_ok($$select uns_meta.ingest_birth('{"topic": "spBv1.0/G/NBIRTH/E", "payload": {}}')$$, 'U0002',
                 'ingest_birth: topic spBv1.0/G/NBIRTH/E is a NBIRTH message; only DBIRTH is ingested', 'an NBIRTH: U0002');
select throws_ok($$select uns_meta.ingest_birth('{"topic": "spBv1.0/G/DDATA/E/D", "payload": {}}')$$, 'U0002',
                 'ingest_birth: topic spBv1.0/G/DDATA/E/D is a DDATA message; only DBIRTH is ingested', 'a DDATA: U0002');
select throws_ok($$select uns_meta.ingest_birth('{"topic": "spBv1.0/G/DDEATH/E/D", "payload": {}}')$$, 'U0002', null, 'a DDEATH: U0002');
select throws_ok($$select uns_meta.ingest_birth('{"topic": "spBv1.0/G/DBIRTH/E", "payload": {}}')$$, 'U0001',
                 'ingest_birth: field "topic" (spBv1.0/G/DBIRTH/E) must be spBv1.0/<group>/DBIRTH/<edge>/<device> with non-empty ids free of "+" and "#"',
                 'a DBIRTH topic without a device id: U0001');
select throws_ok($$select uns_meta.ingest_birth('{"topic": "spBv1.0/G/DBIRTH/E/D/extra", "payload": {}}')$$, 'U0001', null,
                 'a DBIRTH topic with an extra level: U0001');
select throws_ok($$select uns_meta.ingest_birth('{"topic": "spBv1.0/G/DBIRTH/E/+", "payload": {}}')$$, 'U0001', null, 'a wildcard id: U0001');
select throws_ok($$select uns_meta.ingest_birth('{"topic": "spBv1.0//DBIRTH/E/D", "payload": {}}')$$, 'U0001', null, 'an empty group id: U0001');
select throws_ok($$select uns_meta.ingest_birth('{"topic": "spBv1.0/_/DBIRTH/E/D", "payload": {}}')$$, 'U0001',
                 'ingest_birth: field "topic" (spBv1.0/_/DBIRTH/E/D): a Sparkplug id normalises to an empty UNS segment',
                 'a group id that normalises to nothing: U0001');
select throws_ok($$select uns_meta.ingest_birth('{"topic": "spBv1.0/G/DBIRTH/E/D", "received_at": "yesterday-ish", "payload": {}}')$$, 'U0001',
                 'ingest_birth: field "received_at" ("yesterday-ish") must be an ISO-8601 timestamp string', 'a bad received_at: U0001');
select throws_ok($$select uns_meta.ingest_birth('{"topic": "spBv1.0/G/DBIRTH/E/D", "received_at": 1763719200000, "payload": {}}')$$, 'U0001',
                 'ingest_birth: field "received_at" (1763719200000) must be an ISO-8601 timestamp string', 'received_at as epoch milliseconds: U0001');
select throws_ok($$select uns_meta.ingest_birth('{"topic": "spBv1.0/G/DBIRTH/E/D"}')$$, 'U0001', 'ingest_birth: field "payload" is missing or not an object',
                 'no payload: U0001');
select throws_ok($$select uns_meta.ingest_birth('{"topic": "spBv1.0/G/DBIRTH/E/D", "payload": "CgQ="}')$$, 'U0001',
                 'ingest_birth: field "payload" is missing or not an object', 'a payload that is not decoded JSON: U0001');
select throws_ok($$select uns_meta.ingest_birth('{"topic": "spBv1.0/G/DBIRTH/E/D", "payload": {"metrics": {}}}')$$, 'U0001',
                 'ingest_birth: field "payload.metrics" must be an array', 'metrics not an array: U0001');

-- 2. Metrics: the message names the field and the metric (payload index and name) ---------------------------------
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9}, 5]'), 'U0001', null, 'a metric that is not an object: U0001');
select throws_ok(pg_temp.ib('[{"datatype": 9}]'), 'U0001', null, 'a metric without name: U0001');
select is(pg_temp.error_of(pg_temp.ib('[{"name": "m", "datatype": 9}, {"datatype": 9}]')),
          'U0001: ingest_birth: payload.metrics[1] has no "name" (alias-only metrics must be named from the alias map before ingest_birth)',
          'the message of a nameless metric gives its index (no empty name)');
select is(pg_temp.error_of(pg_temp.ib('[{"name": "m", "datatype": 9}, 5]')),
          'U0001: ingest_birth: payload.metrics[1] is not an object', 'the message of a non-object metric gives its index');
select throws_ok(pg_temp.ib('[{"name": "", "datatype": 9}]'), 'U0001', null, 'an empty name: U0001');
select throws_ok(pg_temp.ib('[{"name": "ok", "datatype": 9}, {"name": "m"}]'), 'U0001', 'ingest_birth: payload.metrics[1] (m) "datatype" is missing',
                 'no datatype: U0001 naming "datatype" and metrics[1] (m)');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": "Float"}]'), 'U0001', 'ingest_birth: payload.metrics[0] (m) "datatype" must be an integer 0..4294967295',
                 'a datatype name instead of its code: U0001');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 4294967296}]'), 'U0001', 'ingest_birth: payload.metrics[0] (m) "datatype" must be an integer 0..4294967295',
                 'a datatype beyond uint32: U0001');
reset role;
select is(pg_temp.catalog_digest(), :'digest0', 'the refused calls so far wrote nothing');
set local role uns_meta_app;
select lives_ok(pg_temp.ib('[{"name": "m", "datatype": "4294967295", "alias": "18446744073709551615"}]'),
                'datatype and alias at their maxima, as strings, are accepted');
reset role;
select pg_temp.catalog_digest() as digest1 \gset
set local role uns_meta_app;
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "alias": -1}]'), 'U0001', 'ingest_birth: payload.metrics[0] (m) "alias" must be an integer 0..18446744073709551615',
                 'a negative alias: U0001');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "isHistorical": "true"}]'), 'U0001', 'ingest_birth: payload.metrics[0] (m) "isHistorical" must be a boolean',
                 'isHistorical as a string: U0001');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "isTransient": 1}]'), 'U0001', 'ingest_birth: payload.metrics[0] (m) "isTransient" must be a boolean',
                 'isTransient as a number: U0001');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": []}]'), 'U0001', 'ingest_birth: payload.metrics[0] (m) "properties" must be an object',
                 'properties not an object: U0001');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": {"keys": "a", "values": []}}]'), 'U0001',
                 'ingest_birth: payload.metrics[0] (m) "properties.keys" must be an array', 'properties.keys not an array: U0001');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": {"keys": [], "values": {}}}]'), 'U0001',
                 'ingest_birth: payload.metrics[0] (m) "properties.values" must be an array', 'properties.values not an array: U0001');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": {"keys": ["a", "b"], "values": [{"type": 3, "intValue": 1}]}}]'), 'U0001',
                 'ingest_birth: payload.metrics[0] (m) "properties" has 2 keys but 1 values', 'keys and values of different lengths: U0001 with both counts');
select is(pg_temp.error_of(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": {"keys": ["a"]}}]')),
          'U0001: ingest_birth: payload.metrics[0] (m) "properties" has 1 keys but 0 values', 'keys without values: both counts in the message');

-- 3. Property values: the message names the metric and the (flat) key ------------------------------------------------
select throws_ok(pg_temp.ib('[{"name": "ok", "datatype": 9}, {"name": "m", "datatype": 9, "properties": {"keys": ["Quality"], "values": [{"type": 3, "intValue": "good"}]}}]'),
                 'U0001', 'ingest_birth: payload.metrics[1] (m): property Quality: "intValue" must be an integer',
                 'a bad property value: U0001 naming metric and key');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": {"keys": ["q"], "values": [{"type": 3, "intValue": 1.0}]}}]'),
                 'U0001', 'ingest_birth: payload.metrics[0] (m): property q: "intValue" must be an integer', 'an Int32 written 1.0: U0001 (not a cast error)');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": {"keys": ["q"], "values": [{"type": 3, "isNull": "yes", "intValue": 1}]}}]'),
                 'U0001', 'ingest_birth: payload.metrics[0] (m): property q: "isNull" must be a boolean', 'isNull that is not a boolean: U0001');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": {"keys": ["u"], "values": [{"type": 7, "intValue": -1}]}}]'),
                 'U0001', 'ingest_birth: payload.metrics[0] (m): property u: "intValue" must be an integer 0..4294967295 for UInt32', 'a negative UInt32: U0001');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": {"keys": ["t"], "values": [{"intValue": 1}]}}]'),
                 'U0001', 'ingest_birth: payload.metrics[0] (m): property t: "type" is missing or not an integer 0..4294967295', 'a property without type: U0001');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": {"keys": ["s"], "values": [{"type": 12}]}}]'),
                 'U0001', 'ingest_birth: payload.metrics[0] (m): property s: "stringValue" is missing for type String', 'a property without its value: U0001');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": {"keys": [5], "values": [{"type": 3, "intValue": 1}]}}]'),
                 'U0001', 'ingest_birth: payload.metrics[0] (m): property 5: the key is not a string', 'a key that is not a string: U0001');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": {"keys": [""], "values": [{"type": 3, "intValue": 1}]}}]'),
                 'U0001', 'ingest_birth: payload.metrics[0] (m): property : the key is empty', 'an empty key: U0001');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": {"keys": ["a", "a"], "values": [{"type": 3, "intValue": 1}, {"type": 3, "intValue": 2}]}}]'),
                 'U0001', 'ingest_birth: payload.metrics[0] (m): property key a appears more than once', 'a repeated key: U0001');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": {"keys": ["a/b", "a"], "values": [{"type": 3, "intValue": 1},
                              {"type": 20, "propertysetValue": {"keys": ["b"], "values": [{"type": 3, "intValue": 2}]}}]}}]'),
                 'U0001', 'ingest_birth: payload.metrics[0] (m): property key a/b appears more than once',
                 'a top-level key "a/b" and a nested a -> b share the flat key a/b: U0001 (top-level keys are kept unescaped)');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": {"keys": ["s"], "values": [{"type": 20, "propertysetValue": {"keys": ["x"], "values": []}}]}}]'),
                 'U0001', 'ingest_birth: payload.metrics[0] (m): property s: "propertysetValue" must be {"keys": [...], "values": [...]} with as many keys as values',
                 'a nested set with a keys/values mismatch: U0001');
select throws_ok(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": {"keys": ["s"], "values": [{"type": 20, "propertysetValue": {"keys": ["x", ""],
                              "values": [{"type": 3, "intValue": 1}, {"type": 3, "intValue": 1}]}}]}}]'),
                 'U0001', 'ingest_birth: payload.metrics[0] (m): property s/: the key is empty', 'an empty nested key: U0001 naming the flat key');
select is(pg_temp.error_of(pg_temp.ib('[{"name": "m", "datatype": 9, "properties": {"keys": ["f"], "values": [{"type": 9, "floatValue": 1e-50}]}}]')),
          'U0001: ingest_birth: payload.metrics[0] (m): property f: "floatValue" must be a single-precision number',
          'a Float that underflows to zero: U0001 like any other out-of-range value');

-- 4. The chunk protocol: U0003 ----------------------------------------------------------------------------------------
select throws_ok($$select pg_temp.birth('D', '[]', chunk => '{"index": 1, "last": true}')$$, 'U0003',
                 'ingest_birth: chunk 1 of spBv1.0/G/DBIRTH/E/D arrived, but this transaction expects chunk 0; send chunks 0, 1, 2, ... of one birth in one transaction',
                 'a chunk 1 without a chunk 0 in this transaction: U0003');
select throws_ok($$select pg_temp.birth('D', '[]', chunk => '{"index": -1, "last": true}')$$, 'U0003',
                 'ingest_birth: field "chunk" must be {"index": <0, 1, 2, ...>, "last": <true on the final chunk>}', 'a negative chunk index: U0003');
select throws_ok($$select pg_temp.birth('D', '[]', chunk => '{"index": 0}')$$, 'U0003', null, 'a chunk without "last": U0003');
select throws_ok($$select pg_temp.birth('D', '[]', chunk => '{"index": 0, "last": "yes"}')$$, 'U0003', null, 'a chunk with a non-boolean "last": U0003');
select throws_ok($$select pg_temp.birth('D', '[]', chunk => '[0, true]')$$, 'U0003', null, 'a chunk that is not an object: U0003');

reset role;
select is(pg_temp.catalog_digest(), :'digest1', 'none of the refused calls after it wrote anything (no device, metric, rejection or job)');

select * from finish();
rollback;
