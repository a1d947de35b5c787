-- pgTAP: uns_meta.ingest_birth on the plant's own DBIRTH (spBv1.0/Secil/DBIRTH/Portugal/Cement, the copy of
-- shared/fixtures in fixtures/sparkplug/sources/; paths relative to the repository root, where pg_prove runs),
-- then the same birth again: a no-op that writes nothing.
--
-- Method for "writes nothing" inside one test transaction (now() does not move): after the first birth the
-- rows get past created_at / updated_at (the timestamps trigger is disabled for that one UPDATE, as the
-- table owner may), and their physical identity (ctid, xmin) is recorded. An UPDATE, even an identical one,
-- gives a row a new ctid; so equal (ctid, xmin) sets and unchanged past timestamps mean nothing was rewritten.
-- A third birth that changes one property is the positive control: exactly its rows move.
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local extra_float_digits = 1;
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(37);
\ir _helpers.psql

\set fixture `cat fixtures/sparkplug/sources/secil-dbirth-portugal-cement.payload.json`
select jsonb_build_object('topic', 'spBv1.0/Secil/DBIRTH/Portugal/Cement', 'received_at', '2026-11-21T10:00:00.000Z',
                          'payload', :'fixture'::jsonb) as birth \gset
select is(jsonb_array_length((:'birth'::jsonb) -> 'payload' -> 'metrics'), 3, 'the plant fixture is read: 3 metrics');

-- 1. First birth ----------------------------------------------------------------------------------------------
set local role uns_meta_app;
select uns_meta.ingest_birth(:'birth') as r1 \gset
reset role;

select is(pg_temp.summary(:'r1'),
          '{"metrics": {"inserted": 3, "updated": 0, "revived": 0, "unchanged": 0, "retired": 0, "rejected": 0},
            "device_uns_path": "Secil/Portugal/Cement", "properties_written": 30, "versions_written": 3,
            "lineage_written": 0, "jobs_enqueued": 1, "rejections": []}'::jsonb,
          'first birth: 3 metrics inserted, 30 properties, 3 versions, no lineage, 1 job, no rejection');
select is(((:'r1'::jsonb) ->> 'device_id')::bigint, pg_temp.device_id('Cement', 'Secil', 'Portugal'),
          'the summary names the device_id of the new device row');
select results_eq($$select group_id, edge, device, country, business_unit, plant, uns_path from uns_meta.devices$$,
                  $$values ('Secil', 'Portugal', 'Cement', 'Portugal', 'Cement', null::text, 'Secil/Portugal/Cement')$$,
                  'one device: Sparkplug ids as received, country = edge node, business unit = device, path Secil/Portugal/Cement');
select results_eq(
  $$select name, uns_path, canary_id, datatype, alias, is_historical, is_transient, retired_at, version
      from uns_meta.metrics order by name$$,
  $$values
    ('Maceira/400 - Clinker Production/432 - Kiln/Normalised/Machines/FO6RGH32M1/Closed',
     'Secil/Portugal/Cement/Maceira/400 - Clinker Production/432 - Kiln/Normalised/Machines/FO6RGH32M1/Closed',
     'Secil.Portugal.Cement.Maceira.400 - Clinker Production.432 - Kiln.Normalised.Machines.FO6RGH32M1.Closed',
     11::bigint, null::numeric, false, false, null::timestamptz, 1),
    ('Maceira/400 - Clinker Production/451 - Bypass/Normalised/Indications/BYPVT603INT02/Active',
     'Secil/Portugal/Cement/Maceira/400 - Clinker Production/451 - Bypass/Normalised/Indications/BYPVT603INT02/Active',
     'Secil.Portugal.Cement.Maceira.400 - Clinker Production.451 - Bypass.Normalised.Indications.BYPVT603INT02.Active',
     11, null, false, false, null, 1),
    ('Maceira/600 - Cement Packaging and Dispatch/671 - Bag Conveying/Normalised/Selections/EMBSILO23SEL01_FS/Selected',
     'Secil/Portugal/Cement/Maceira/600 - Cement Packaging and Dispatch/671 - Bag Conveying/Normalised/Selections/EMBSILO23SEL01_FS/Selected',
     'Secil.Portugal.Cement.Maceira.600 - Cement Packaging and Dispatch.671 - Bag Conveying.Normalised.Selections.EMBSILO23SEL01_FS.Selected',
     11, null, false, false, null, 1)$$,
  'three metrics, names as received, uns_path by the default normaliser (single spaces and " - " kept), canary_id with dots, Boolean (11), version 1');
select results_eq($$select count(*)::int, count(distinct metric_id)::int, count(*) filter (where key_path is null)::int
                      from uns_meta.metric_properties$$,
                  $$values (30, 3, 30)$$, '30 properties, 10 per metric, all top-level (key_path NULL)');
select results_eq(
  $$select key, type::text, spb_type, is_null, value_int, value_long, value_uint64, value_float, value_double, value_string, value_bool, value_datetime
      from uns_meta.metric_properties
     where metric_id = (select metric_id from uns_meta.metrics where name like '%/BYPVT603INT02/Active')
     order by key collate "C"$$,
  $$values ('DataPermission', 'string', 12::bigint, false, null::int, null::bigint, null::numeric, null::real, null::float8, 'user_domainSecil(R);G_UNS_Admin(RW)', null::boolean, null::timestamptz),
           ('Quality',        'int',     3, false, -2147483132, null, null, null, null, null, null, null),
           ('delete',         'boolean', 11, false, null, null, null, null, null, null, false, null),
           ('documentation',  'string', 12, false, null, null, null, null, null, 'SA: - Active', null, null),
           ('engHigh',        'double', 10, false, null, null, null, null, 0, null, null, null),
           ('engLow',         'double', 10, false, null, null, null, null, 0, null, null, null),
           ('engUnit',        'string', 12, false, null, null, null, null, null, '', null, null),
           ('executionMode',  'int',     3, false, 1, null, null, null, null, null, null, null),
           ('retain',         'boolean', 11, false, null, null, null, null, null, null, true, null),
           ('retained',       'boolean', 11, false, null, null, null, null, null, null, true, null)$$,
  'Bypass/Active: every property in the typed column its Sparkplug type names, keys exactly as received');
select results_eq(
  $$select m.name, p.value_int from uns_meta.metric_properties as p join uns_meta.metrics as m using (metric_id)
     where p.key = 'Quality' order by m.name$$,
  $$values ('Maceira/400 - Clinker Production/432 - Kiln/Normalised/Machines/FO6RGH32M1/Closed', 192),
           ('Maceira/400 - Clinker Production/451 - Bypass/Normalised/Indications/BYPVT603INT02/Active', -2147483132),
           ('Maceira/600 - Cement Packaging and Dispatch/671 - Bag Conveying/Normalised/Selections/EMBSILO23SEL01_FS/Selected', -2147483132)$$,
  'Quality typed Int32: intValue 2147484164 is stored sign-extended as -2147483132; 192 stays 192');
select is((select value_string from uns_meta.metric_properties where key = 'documentation'
            and metric_id = (select metric_id from uns_meta.metrics where name like '%/Selected')),
          'EXT SILO 23 - FORA SERVIÇO - Selected', 'a non-ASCII string property is stored exactly');
select results_eq($$select version_no, change_kind, changed_by, source, changed_at = now() from uns_meta.metric_versions order by metric_id$$,
                  $$values (1, 'created', 'system', 'spBv1.0/Secil/DBIRTH/Portugal/Cement received 2026-11-21T10:00:00.000Z', true),
                           (1, 'created', 'system', 'spBv1.0/Secil/DBIRTH/Portugal/Cement received 2026-11-21T10:00:00.000Z', true),
                           (1, 'created', 'system', 'spBv1.0/Secil/DBIRTH/Portugal/Cement received 2026-11-21T10:00:00.000Z', true)$$,
                  'one "created" version per metric, its source naming the topic and received_at');
select is((select diff from uns_meta.metric_versions where metric_id = (select metric_id from uns_meta.metrics where name like '%/FO6RGH32M1/Closed')),
          '{"datatype": {"new": 11},
            "uns_path": {"new": "Secil/Portugal/Cement/Maceira/400 - Clinker Production/432 - Kiln/Normalised/Machines/FO6RGH32M1/Closed"}}'::jsonb,
          'the first version names the datatype and the path; it does not repeat the properties');
select results_eq($$select key, uns_meta.property_version_json(key_path, spb_type, is_null, type, value_int, value_long, value_uint64,
                                                           value_float, value_double, value_string, value_bool, value_datetime)
                      from uns_meta.metric_properties_at_version((select metric_id from uns_meta.metrics where name like '%/FO6RGH32M1/Closed'), 1)
                     order by key$$,
                  $$values ('DataPermission', '{"type": "String", "value": "user_domainSecil(R);G_UNS_Admin(RW)"}'::jsonb),
                           ('Quality', '{"type": "Int32", "value": 192}'), ('delete', '{"type": "Boolean", "value": false}'),
                           ('documentation', '{"type": "String", "value": "Valvula doseadora H32.1 extraccao SHI2 para caleira H57 - Closed/Position2"}'),
                           ('engHigh', '{"type": "Double", "value": 0}'), ('engLow', '{"type": "Double", "value": 0}'),
                           ('engUnit', '{"type": "String", "value": ""}'), ('executionMode', '{"type": "Int32", "value": 1}'),
                           ('retain', '{"type": "Boolean", "value": true}'), ('retained', '{"type": "Boolean", "value": true}')$$,
                  'its properties at version 1, reconstructed by metric_properties_at_version: the birth''s, typed');
select results_eq($$select task_identifier, key, run_at, revision, payload, attempts from pg_temp.jobs_of(pg_temp.device_id('Cement', 'Secil', 'Portugal'))$$,
                  format($$values ('canary_sync_device', 'canary_sync_device:%s', now() + interval '3 minutes', 0, '{"device_id": %s}'::jsonb, 0::smallint)$$,
                         pg_temp.device_id('Cement', 'Secil', 'Portugal'), pg_temp.device_id('Cement', 'Secil', 'Portugal')),
                  'one canary_sync_device job for the device, key canary_sync_device:<id>, run_at = now() + 3 minutes (default debounce)');
select is((select count(*)::int from graphile_worker.jobs), 1, 'and no other job');

-- 2. Prepare the no-op check: past timestamps, physical identities, history counts, the job -------------------
alter table uns_meta.devices disable trigger _100_timestamps;
alter table uns_meta.metrics disable trigger _100_timestamps;
alter table uns_meta.metric_properties disable trigger _100_timestamps;
update uns_meta.devices set created_at = '2001-01-01 00:00:00+00', updated_at = '2001-01-02 00:00:00+00';
update uns_meta.metrics set created_at = '2001-01-01 00:00:00+00', updated_at = '2001-01-02 00:00:00+00';
update uns_meta.metric_properties set created_at = '2001-01-01 00:00:00+00', updated_at = '2001-01-02 00:00:00+00';
alter table uns_meta.devices enable trigger _100_timestamps;
alter table uns_meta.metrics enable trigger _100_timestamps;
alter table uns_meta.metric_properties enable trigger _100_timestamps;
create temp table tuples_before as select * from pg_temp.tuples();
create temp table props_before as select * from uns_meta.metric_properties;
create temp table metrics_before as select * from uns_meta.metrics;
create temp table jobs_before as select * from graphile_worker.jobs;
select pg_temp.catalog_digest() as digest_before \gset

-- 3. The same birth again (received a minute later) ------------------------------------------------------------
set local role uns_meta_app;
select uns_meta.ingest_birth(jsonb_set(:'birth', '{received_at}', '"2026-11-21T10:01:00.000Z"')) as r2 \gset
reset role;

select is(pg_temp.summary(:'r2'),
          '{"metrics": {"inserted": 0, "updated": 0, "revived": 0, "unchanged": 3, "retired": 0, "rejected": 0},
            "device_uns_path": "Secil/Portugal/Cement", "properties_written": 0, "versions_written": 0,
            "lineage_written": 0, "jobs_enqueued": 0, "rejections": []}'::jsonb,
          're-birth: unchanged = 3, nothing written, no job');
select is(((:'r2'::jsonb) ->> 'device_id')::bigint, ((:'r1'::jsonb) ->> 'device_id')::bigint, 're-birth: the same device_id');
select set_eq($$select * from pg_temp.tuples()$$, $$select * from tuples_before$$,
              're-birth: no device, metric or property row was rewritten (same ctid and xmin)');
select is((select count(*)::int from uns_meta.devices where updated_at <> '2001-01-02 00:00:00+00'), 0, 're-birth: devices.updated_at unchanged');
select is((select count(*)::int from uns_meta.metrics where updated_at <> '2001-01-02 00:00:00+00'), 0, 're-birth: metrics.updated_at unchanged');
select is((select count(*)::int from uns_meta.metric_properties where updated_at <> '2001-01-02 00:00:00+00'), 0,
          're-birth: metric_properties.updated_at unchanged');
select bag_eq($$select * from uns_meta.metric_properties$$, $$select * from props_before$$, 're-birth: the properties are unchanged, value for value');
select bag_eq($$select * from uns_meta.metrics$$, $$select * from metrics_before$$, 're-birth: the metrics are unchanged (version still 1)');
select is((select count(*)::int from uns_meta.metric_versions), 3, 're-birth: no new version row');
select is((select count(*)::int from uns_meta.metric_path_lineage) + (select count(*)::int from uns_meta.device_path_lineage), 0,
          're-birth: no lineage row');
select is((select count(*)::int from uns_meta.ingest_rejections), 0, 're-birth: no rejection row');
select set_eq($$select * from graphile_worker.jobs$$, $$select * from jobs_before$$,
              're-birth: graphile_worker.jobs unchanged (same job, same run_at, same revision: no new job, no push-back)');
select is(pg_temp.catalog_digest(), :'digest_before', 're-birth: the whole catalog and the job queue digest the same');

-- 4. Positive control: one property of one metric changes -------------------------------------------------------
set local role uns_meta_app;
select uns_meta.ingest_birth(jsonb_set(jsonb_set(:'birth', '{received_at}', '"2026-11-21T10:02:00.000Z"'),
                                       '{payload,metrics,1,properties,values,3}', '{"type": 3, "intValue": 0}')) as r3 \gset
reset role;
select is(pg_temp.summary(:'r3') -> 'metrics', '{"inserted": 0, "updated": 1, "revived": 0, "unchanged": 2, "retired": 0, "rejected": 0}'::jsonb,
          'control: Kiln Quality 192 -> 0 makes one metric updated, two unchanged');
select is(((:'r3'::jsonb) ->> 'properties_written')::int, 1, 'control: one property written');
select results_eq($$select t.tbl, count(*)::int from pg_temp.tuples() as t
                     where (t.tbl, t.tid, t.xmin_) not in (select * from tuples_before) group by t.tbl order by t.tbl$$,
                  $$values ('metric_properties', 1), ('metrics', 1)$$,
                  'control: exactly the changed property row and its metric row were rewritten');
select results_eq($$select key, value_int, updated_at = now(), created_at from uns_meta.metric_properties
                     where updated_at <> '2001-01-02 00:00:00+00'$$,
                  $$values ('Quality', 0, true, '2001-01-01 00:00:00+00'::timestamptz)$$,
                  'control: only that property''s updated_at moved to now(); its created_at is kept');
select results_eq($$select name like '%/FO6RGH32M1/Closed', version, updated_at = now() from uns_meta.metrics
                     where updated_at <> '2001-01-02 00:00:00+00'$$,
                  $$values (true, 2, true)$$, 'control: only the Kiln metric moved: version 2, updated_at = now()');
select is((select updated_at from uns_meta.devices), '2001-01-02 00:00:00+00'::timestamptz, 'control: the device row is untouched');
select results_eq($$select version_no, change_kind, diff from uns_meta.metric_versions where version_no > 1$$,
                  $$values (2, 'updated', '{"properties": {"changed": {"Quality": {"old": {"type": "Int32", "value": 192},
                                                                                  "new": {"type": "Int32", "value": 0}}}}}'::jsonb)$$,
                  'control: one "updated" version whose diff holds the old and new typed value');
select is(((:'r3'::jsonb) ->> 'jobs_enqueued')::int, 1, 'control: the change enqueues the sync');
select results_eq($$select id, key, run_at, revision from pg_temp.jobs_of(pg_temp.device_id('Cement', 'Secil', 'Portugal'))$$,
                  $$select id, key, run_at, revision + 1 from jobs_before$$,
                  'control: the same job (same id and key) is replaced: revision + 1, run_at = now() + debounce again');
select is((select count(*)::int from graphile_worker.jobs), 1, 'control: still exactly one job');

select * from finish();
rollback;
