-- pgTAP: uns_meta.ingest_birth__match_fingerprint(bigint, jsonb, integer, boolean, boolean, bytea), step 3b of ingest_birth:
-- an unchunked birth's md5 fingerprint, the identical re-birth it recognises (only when the device kept its path and
-- its metric paths are current), and the stored fingerprint removed whenever the birth takes the full path.
-- (The whole story through ingest_birth: ingest_birth/identical_births.sql.)
begin;
set local timezone = 'UTC';
select plan(11);
\ir ingest_birth/_helpers.psql

select volatility_is('uns_meta', 'ingest_birth__match_fingerprint', array['bigint', 'jsonb', 'integer', 'boolean', 'boolean', 'bytea'], 'volatile',
                     'match_fingerprint is volatile');
select o_device_id as dev from uns_meta.ingest_birth__upsert_device('spBv1.0/G/DBIRTH/E/F', array['spBv1.0', 'G', 'DBIRTH', 'E', 'F'], 's') \gset
create temp table metrics_json as select '[{"name": "a", "datatype": 9}]'::jsonb as m;
create function pg_temp.store() returns void language sql as $$
  delete from uns_meta.birth_fingerprints;
  insert into uns_meta.birth_fingerprints (device_id, fingerprint) select pg_temp.device_id('F'), decode(md5(m::text), 'hex') from metrics_json;
$$;
create function pg_temp.stored() returns int language sql as $$ select count(*)::int from uns_meta.birth_fingerprints $$;

select pg_temp.store();
select is((select array[encode(o_fingerprint, 'hex'), o_identical::text] from uns_meta.ingest_birth__match_fingerprint(:dev, (select m from metrics_json), null, false, true, null)),
          array[md5('[{"name": "a", "datatype": 9}]'::jsonb::text), 'true'],
          'the stored fingerprint of the same metrics, device unchanged, paths current: identical (o_fingerprint is the md5 of the metrics)');
select is(pg_temp.stored(), 1, 'an identical birth keeps the stored fingerprint');

select is((select o_identical from uns_meta.ingest_birth__match_fingerprint(:dev, (select m from metrics_json), null, false, false, null)),
          false, 'paths not current: not identical');
select is(pg_temp.stored(), 0, 'and the stored fingerprint is removed');
select pg_temp.store();
select is((select o_identical from uns_meta.ingest_birth__match_fingerprint(:dev, (select m from metrics_json), null, true, true, null)),
          false, 'the device''s path changed: not identical');
select pg_temp.store();
select is((select o_identical from uns_meta.ingest_birth__match_fingerprint(:dev, '[{"name": "a", "datatype": 10}]', null, false, true, null)),
          false, 'other metrics: not identical');
select pg_temp.store();
select is((select array[o_fingerprint::text, o_identical::text, pg_temp.stored()::text]
             from uns_meta.ingest_birth__match_fingerprint(:dev, (select m from metrics_json), 0, false, true, null)),
          array[null, 'false', '0'], 'a chunk (index 0): no fingerprint, not identical, the stored one removed');

-- The ingestor's fingerprint (sha-256, given in the envelope) takes the md5's place.
delete from uns_meta.birth_fingerprints;
insert into uns_meta.birth_fingerprints (device_id, fingerprint) values (:dev, '\xabababababababababababababababababababababababababababababababab');
select is((select array[encode(o_fingerprint, 'hex'), o_identical::text]
             from uns_meta.ingest_birth__match_fingerprint(:dev, (select m from metrics_json), null, false, true, '\xabababababababababababababababababababababababababababababababab')),
          array['abababababababababababababababababababababababababababababababab', 'true'], 'an unchunked birth with the stored given fingerprint: identical, o_fingerprint is the given one');
select is((select array[encode(o_fingerprint, 'hex'), o_identical::text, pg_temp.stored()::text]
             from uns_meta.ingest_birth__match_fingerprint(:dev, (select m from metrics_json), 3, false, true, '\xabababababababababababababababababababababababababababababababab')),
          array['abababababababababababababababababababababababababababababababab', 'false', '0'],
          'a chunked birth''s final chunk with the given fingerprint: o_fingerprint is it (stored at the end), never answered early, the stored one removed');
insert into uns_meta.birth_fingerprints (device_id, fingerprint) values (:dev, decode(md5((select m from metrics_json)::text), 'hex'));
select is((select o_identical from uns_meta.ingest_birth__match_fingerprint(:dev, (select m from metrics_json), null, false, true, '\xabababababababababababababababababababababababababababababababab')),
          false, 'a given fingerprint is not compared with the md5 of a psql replay of the same metrics');

select * from finish();
rollback;
