-- pgTAP: uns_meta.ingest_birth__insert_metrics(bigint, text), step 8 of ingest_birth: the staged metrics without a
-- metric_id that are not rejected are inserted with their properties and a 'created' version naming their fields;
-- a property key twice refuses the birth (U0001).
begin;
set local timezone = 'UTC';
select plan(8);
\ir ingest_birth/_helpers.psql

select volatility_is('uns_meta', 'ingest_birth__insert_metrics', array['bigint', 'text'], 'volatile', 'insert_metrics is volatile');
select o_device_id as dev from uns_meta.ingest_birth__upsert_device('spBv1.0/G/DBIRTH/E/I', array['spBv1.0', 'G', 'DBIRTH', 'E', 'I'], 's') \gset
select uns_meta.ingest_birth_prepare_session();
select uns_meta.ingest_birth__reset_staging(:dev, 'T', null);
select set_config('uns_meta.ingest_birth_active', 'on', true);  -- as ingest_birth does: the catalog triggers leave these writes alone
insert into uns_meta_stage_metrics (ord, name, uns_path, datatype, alias, is_historical, is_transient, props_hash, metric_id, reject_reason) values
  (0, 'n1', 'X/n1', 9, null, false, false, '\x01', null, null),
  (1, 'n2', 'X/n2', 10, 7, true, false, '\x02', null, null),
  (2, 'rej', 'X/rej', 9, null, false, false, '\x03', null, 'no'),
  (3, 'known', 'X/known', 9, null, false, false, '\x04', 999999, null);
insert into uns_meta_stage_props (ord, key, type, spb_type, is_null, value_string) values (0, 'engUnit', 'string', 12, false, 'C');

select is((select array[o_inserted, o_properties, o_versions] from uns_meta.ingest_birth__insert_metrics(:dev, 'src')), array[2, 1, 2],
          'two new metrics, one property, two versions');
select results_eq($$select name, uns_path, datatype, alias, is_historical, version, encode(properties_hash, 'hex') from uns_meta.metrics where device_id = $$ || :dev || $$ order by name$$,
                  $$values ('n1'::text, 'X/n1'::text, 9::bigint, null::numeric, false, 1, '01'), ('n2', 'X/n2', 10, 7, true, 1, '02')$$,
                  'the new metrics are inserted as staged (not the rejected one, not the one with a metric_id)');
select results_eq($$select name, metric_id from uns_meta_stage_metrics where is_new order by name$$,
                  $$select name, metric_id from uns_meta.metrics where device_id = $$ || :dev || $$ order by name$$,
                  'the staged rows of the new metrics are marked is_new, with their metric_id');
select is((select array_agg(key || '=' || value_string) from uns_meta.metric_properties where metric_id = pg_temp.metric_id('I', 'n1')),
          array['engUnit=C'], 'their properties are written');
select results_eq($$select v.version_no, v.change_kind, v.source, v.diff from uns_meta.metric_versions as v join uns_meta.metrics as m using (metric_id)
                     where m.device_id = $$ || :dev || $$ order by m.name$$,
                  $$values (1, 'created'::text, 'src'::text, '{"datatype": {"new": 9}, "uns_path": {"new": "X/n1"}}'::jsonb),
                           (1, 'created', 'src', '{"datatype": {"new": 10}, "uns_path": {"new": "X/n2"}, "alias": {"new": 7}, "is_historical": {"new": true}}')$$,
                  'a created version each, naming datatype, path, and alias and flags where set');

-- A key twice in one new metric.
select uns_meta.ingest_birth__reset_staging(:dev, 'T', null);
insert into uns_meta_stage_metrics (ord, name, uns_path, datatype, is_historical, is_transient, props_hash) values (0, 'd1', 'X/d1', 9, false, false, '\x05');
insert into uns_meta_stage_props (ord, key, type, spb_type, is_null, value_int) values (0, 'k', 'int', 3, false, 1), (0, 'k', 'int', 3, false, 2);
select is(pg_temp.error_of($$select uns_meta.ingest_birth__insert_metrics($$ || :dev || $$, 'src')$$),
          'U0001: ingest_birth: payload.metrics[0] (d1): property key k appears more than once', 'a key twice: U0001 naming metric and key');
select is((select count(*)::int from uns_meta.metrics where name = 'd1'), 0, 'and nothing of it is written');

select * from finish();
rollback;
