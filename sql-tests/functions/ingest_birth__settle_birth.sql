-- pgTAP: uns_meta.ingest_birth__settle_birth(bigint, boolean, boolean, boolean, integer, boolean), the end of every
-- ingest_birth call: the call's outcome noted in the birth's state; on the last call one Canary sync job when
-- anything changed or retired, devices.path_rules_version recorded (none after a rejection), the chunk state
-- forgotten; a large call's staging tables truncated. (Debouncing through ingest_birth: ingest_birth/debounce.sql.)
begin;
select plan(9);
\ir ingest_birth/_helpers.psql

select volatility_is('uns_meta', 'ingest_birth__settle_birth', array['bigint', 'boolean', 'boolean', 'boolean', 'integer', 'boolean'], 'volatile',
                     'settle_birth is volatile');
select o_device_id as dev from uns_meta.ingest_birth__upsert_device('spBv1.0/G/DBIRTH/E/Q', array['spBv1.0', 'G', 'DBIRTH', 'E', 'Q'], 's') \gset
select uns_meta.ingest_birth_prepare_session();
select uns_meta.ingest_birth__reset_staging(:dev, 'T', 0);  -- the birth's state: next chunk 1, unchanged
insert into uns_meta_birth_names (device_id, name) values (:dev, 'a');
create function pg_temp.jobs() returns int language sql as $$ select count(*)::int from pg_temp.jobs_of(pg_temp.device_id('Q')) $$;

select is(uns_meta.ingest_birth__settle_birth(:dev, false, true, false, 0, false), 0, 'a call that is not the last: no job');
select is((select array[changed, rejected] from uns_meta_birth_state where device_id = :dev), array[true, false],
          'its change is noted in the birth''s state, which stays');
select uns_meta.ingest_birth__settle_birth(:dev, true, false, false, 0, false) as jobs_last \gset
select is(:jobs_last || ':' || pg_temp.jobs(), '1:1',
          'the last call of a birth that changed something (in an earlier chunk): one job');
select is((select path_rules_version from uns_meta.devices where device_id = :dev), uns_meta.path_rules_version(),
          'devices.path_rules_version: the rules the birth began with');
select is((select count(*)::int from uns_meta_birth_state where device_id = :dev) + (select count(*)::int from uns_meta_birth_names where device_id = :dev),
          0, 'the birth''s state and names are forgotten');

delete from graphile_worker._private_jobs;
select uns_meta.ingest_birth__reset_staging(:dev, 'T', null);
select uns_meta.ingest_birth__settle_birth(:dev, true, false, true, 0, false) as jobs_rejected \gset
select is(:jobs_rejected || ':' || pg_temp.jobs() || ':' || coalesce((select path_rules_version from uns_meta.devices where device_id = :dev), 'none'),
          '0:0:none', 'an unchanged birth with a rejection: no job, and no path_rules_version (the next birth recomputes the paths)');
select uns_meta.ingest_birth__reset_staging(:dev, 'T', null);
select uns_meta.ingest_birth__settle_birth(:dev, true, false, false, 2, false) as jobs_retired \gset
select is(:jobs_retired || ':' || pg_temp.jobs(), '1:1',
          'a birth that only retired metrics: one job');

select uns_meta.ingest_birth__reset_staging(:dev, 'T', 0);
insert into uns_meta_stage_metrics (ord, name) values (0, 'x');
insert into uns_meta_birth_names (device_id, name) values (:dev, 'x');
select uns_meta.ingest_birth__settle_birth(:dev, false, false, false, 0, true);
select is(array[(select count(*) from uns_meta_stage_metrics), (select count(*) from uns_meta_birth_names)]::int[], array[0, 1],
          'a large call empties the staging tables, and keeps the names of a birth still in progress');

select * from finish();
rollback;
