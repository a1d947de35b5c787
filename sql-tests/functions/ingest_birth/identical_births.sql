-- pgTAP: a birth identical to the last one ingest_birth applied in full for the device (the same payload.metrics,
-- the same path rules) is answered from uns_meta.birth_fingerprints without staging it -- with the summary the
-- full comparison gives, and without writing anything. Every case in which that could be wrong goes the full way:
-- a changed birth, a DBA edit, new rules, a rejection, a chunked birth.
begin;
set local timezone = 'UTC';
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(23);
\ir _helpers.psql

select '[{"name": "Plant/A", "datatype": 10, "properties": {"keys": ["engUnit"], "values": [{"type": 12, "stringValue": "kW"}]}},
         {"name": "Plant/B", "datatype": 11}]' as ab,
       '[{"name": "Plant/A", "datatype": 10, "properties": {"keys": ["engUnit"], "values": [{"type": 12, "stringValue": "MW"}]}},
         {"name": "Plant/B", "datatype": 11}]' as ab_mw \gset

-- The first birth is remembered.
set local role uns_meta_app;
select pg_temp.birth('D', :'ab', '2026-11-22T10:00:00Z') as first \gset
reset role;
select is((select fingerprint from uns_meta.birth_fingerprints where device_id = pg_temp.device_id('D')),
          decode(md5((:'ab')::jsonb::text), 'hex'), 'a birth applied in full leaves the md5 of its metrics');
select is((select path_rules_version from uns_meta.devices where device_id = pg_temp.device_id('D')),
          uns_meta.path_rules_version(), 'and the device records the version of the rules it was applied under');
select is(current_setting('uns_meta.ingest_birth_active', true), 'off', 'ingest_birth clears its marker when it returns');

-- An identical re-birth (another received_at) changes nothing and says so.
select pg_temp.catalog_digest() as before \gset
select array_agg(t order by t) as tuples_before from pg_temp.tuples() as t \gset
set local role uns_meta_app;
select pg_temp.birth('D', :'ab', '2026-11-22T11:00:00Z') as same \gset
reset role;
select is(pg_temp.summary(:'same'),
          '{"device_uns_path": "G/E/D", "metrics": {"inserted": 0, "updated": 0, "revived": 0, "unchanged": 2, "retired": 0, "rejected": 0},
            "properties_written": 0, "versions_written": 0, "lineage_written": 0, "jobs_enqueued": 0, "rejections": []}'::jsonb,
          'an identical re-birth: every metric unchanged, nothing written');
select is((:'same'::jsonb) -> 'device_id', (:'first'::jsonb) -> 'device_id', 'it names the device');
select is(pg_temp.catalog_digest(), :'before', 'no row of the catalog, its history or the job queue changed');
select is((select array_agg(t order by t) from pg_temp.tuples() as t)::text, :'tuples_before', 'no row was even rewritten');
select is(current_setting('uns_meta.ingest_birth_active', true), 'off', 'the marker is cleared on this path too');

-- The answer is the one the full comparison gives: forget the fingerprint and send the same birth.
delete from uns_meta.birth_fingerprints;
set local role uns_meta_app;
select pg_temp.birth('D', :'ab', '2026-11-22T12:00:00Z') as full_way \gset
reset role;
select is(:'full_way'::jsonb, :'same'::jsonb, 'without a fingerprint the same birth gives the same summary');
select is((select count(*)::int from uns_meta.birth_fingerprints), 1, 'and is remembered again');

-- A changed birth is applied in full and replaces the fingerprint.
set local role uns_meta_app;
select pg_temp.birth('D', :'ab_mw', '2026-11-22T13:00:00Z') as changed \gset
reset role;
select is((:'changed'::jsonb) #>> '{metrics,updated}', '1', 'a changed property is applied');
select is((select fingerprint from uns_meta.birth_fingerprints where device_id = pg_temp.device_id('D')),
          decode(md5((:'ab_mw')::jsonb::text), 'hex'), 'the fingerprint is now that birth''s');
-- ... and going back to the first birth's metrics is a change too.
set local role uns_meta_app;
select pg_temp.birth('D', :'ab', '2026-11-22T14:00:00Z') as back \gset
reset role;
select is((:'back'::jsonb) #>> '{metrics,updated}', '1', 'an older birth again is compared in full (kW restored)');

-- A DBA edit of the catalog forgets every fingerprint: the next identical birth corrects the edit.
update uns_meta.metrics set datatype = 12 where name = 'Plant/B';
select is((select count(*)::int from uns_meta.birth_fingerprints), 0, 'an UPDATE of metrics outside ingest_birth empties birth_fingerprints');
set local role uns_meta_app;
select pg_temp.birth('D', :'ab', '2026-11-22T15:00:00Z') as fixed \gset
reset role;
select is((select datatype from uns_meta.metrics where name = 'Plant/B'), 11::bigint, 'the next identical birth restores the datatype the DBA changed');

-- New path rules: the identical birth is applied in full (paths recomputed).
insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('^G/E/D/Plant/B$', 'G/E/D/Plant/Bee', 'test');
set local role uns_meta_app;
select pg_temp.birth('D', :'ab', '2026-11-22T16:00:00Z') as rules \gset
reset role;
select is((select uns_path from uns_meta.metrics where name = 'Plant/B'), 'G/E/D/Plant/Bee', 'after a rule change the same birth follows the new rules');
select is((select d.path_rules_version from uns_meta.devices as d join uns_meta.birth_fingerprints using (device_id)
            where d.device_id = pg_temp.device_id('D')), uns_meta.path_rules_version(),
          'and is remembered, under them');

-- A birth with a rejected metric is not remembered: the metric may be accepted by the same birth later.
set local role uns_meta_app;
select pg_temp.birth('O', '[{"name": "Plant/X", "datatype": 10}]', '2026-11-22T17:00:00Z') as other \gset
reset role;
insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('^G/E/D/Plant/C$', 'G/E/O/Plant/X', 'collide');
set local role uns_meta_app;
select pg_temp.birth('D', '[{"name": "Plant/A", "datatype": 10}, {"name": "Plant/C", "datatype": 10}]', '2026-11-22T18:00:00Z') as rejected \gset
reset role;
select is((:'rejected'::jsonb) #>> '{metrics,rejected}', '1', 'Plant/C collides with a path of device O and is rejected');
select is((select count(*)::int from uns_meta.birth_fingerprints where device_id = pg_temp.device_id('D')), 0,
          'a birth with a rejection leaves no fingerprint');
delete from uns_meta.path_rewrite_rules where description = 'collide';
set local role uns_meta_app;
select pg_temp.birth('D', '[{"name": "Plant/A", "datatype": 10}, {"name": "Plant/C", "datatype": 10}]', '2026-11-22T19:00:00Z') as accepted \gset
reset role;
select is((:'accepted'::jsonb) #>> '{metrics,inserted}', '1', 'so the same birth, once the collision is gone, inserts the metric');

-- A chunked birth without an envelope "fingerprint" is never fingerprinted, and it drops the device's fingerprint
-- (with one: sql-tests/functions/birth_is_current.sql).
set local role uns_meta_app;
select pg_temp.birth('D', :'ab', '2026-11-22T20:00:00Z') as again \gset
select pg_temp.birth('D', '[{"name": "Plant/A", "datatype": 10}]', '2026-11-22T21:00:00Z', '{"index": 0, "last": false}') as c0 \gset
select pg_temp.birth('D', '[{"name": "Plant/B", "datatype": 11}]', '2026-11-22T21:00:00Z', '{"index": 1, "last": true}') as c1 \gset
reset role;
select is((select count(*)::int from uns_meta.birth_fingerprints where device_id = pg_temp.device_id('D')), 0,
          'after a chunked birth the device has no fingerprint');
-- The writes of ingest_birth itself (inserts, updates, retirements) leave the other devices' fingerprints alone.
select is((select count(*)::int from uns_meta.birth_fingerprints where device_id = pg_temp.device_id('O')), 1,
          'device O keeps its fingerprint through all of device D''s births');

-- Deleting a device removes its fingerprint (and, as a write to metrics, every other one).
delete from uns_meta.devices where device_id = pg_temp.device_id('O');
select is((select count(*)::int from uns_meta.birth_fingerprints), 0, 'a deleted device takes the fingerprints with it');

select * from finish();
rollback;
