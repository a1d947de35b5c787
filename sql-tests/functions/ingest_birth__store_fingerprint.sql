-- pgTAP: uns_meta.ingest_birth__store_fingerprint(bigint, bytea), the last step of ingest_birth: the
-- fingerprint of a birth applied in full (devices.path_rules_version set) is stored; none without a fingerprint
-- (a chunked birth without the ingestor's) or for a device whose paths are not current.
begin;
select plan(5);
\ir ingest_birth/_helpers.psql

create function pg_temp.stored() returns int language sql as $$ select count(*)::int from uns_meta.birth_fingerprints $$;
select volatility_is('uns_meta', 'ingest_birth__store_fingerprint', array['bigint', 'bytea'], 'volatile', 'store_fingerprint is volatile');
select o_device_id as dev from uns_meta.ingest_birth__upsert_device('spBv1.0/G/DBIRTH/E/S', array['spBv1.0', 'G', 'DBIRTH', 'E', 'S'], 's') \gset
select is(uns_meta.ingest_birth__store_fingerprint(:dev, '\x0102'::bytea) || ':' || pg_temp.stored(),
          'false:0', 'no path_rules_version (a rejection, or rules changed meanwhile): nothing stored');
update uns_meta.devices set path_rules_version = uns_meta.path_rules_version() where device_id = :dev;
select is(uns_meta.ingest_birth__store_fingerprint(:dev, null) || ':' || pg_temp.stored(),
          'false:0', 'no fingerprint (a chunked birth without the ingestor''s): nothing stored');
select is(uns_meta.ingest_birth__store_fingerprint(:dev, '\x0102'::bytea), true, 'a birth applied in full with a fingerprint: stored');
select is((select array_agg(device_id::text || ':' || encode(fingerprint, 'hex')) from uns_meta.birth_fingerprints),
          array[:dev || ':0102'], 'birth_fingerprints holds the device''s fingerprint');

select * from finish();
rollback;
