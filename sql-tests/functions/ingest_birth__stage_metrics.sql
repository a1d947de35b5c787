-- pgTAP: uns_meta.ingest_birth__stage_metrics(jsonb, bigint, text, boolean, boolean), step 5 of ingest_birth: the
-- metrics staged with what the catalog holds for them, their paths composed (or kept, under the current rules), a
-- segment that normalises to nothing rejected, a malformed metric refused (U0001).
begin;
set local timezone = 'UTC';
select plan(19);
\ir ingest_birth/_helpers.psql

select volatility_is('uns_meta', 'ingest_birth__stage_metrics', array['jsonb', 'bigint', 'text', 'boolean', 'boolean'], 'volatile',
                     'stage_metrics is volatile');
-- Device S with one metric in the catalog.
select pg_temp.birth('S', '[{"name": "old", "datatype": 9}]', '2026-11-21T10:00:00Z') is not null as born \gset
select pg_temp.device_id('S') as dev, uns_meta.device_base_path('G', 'E', 'S') as base, pg_temp.metric_id('S', 'old') as old_id \gset
select uns_meta.ingest_birth__reset_staging(:dev, 'T', null);

select is(uns_meta.ingest_birth__stage_metrics(
            '[{"name": "old", "datatype": 9},
              {"name": "Area/new tag", "datatype": 10, "alias": 3, "isHistorical": true,
               "properties": {"keys": ["a"], "values": [{"type": 3, "intValue": 1}]}},
              {"name": "a/-/b", "datatype": 9},
              {"name": "n", "reject": "bad thing"}]', :dev, :'base', false, false),
          4, 'returns the number of metrics staged');
select is((select array[metric_id, old_version::bigint] from uns_meta_stage_metrics where ord = 0),
          array[:old_id, 1]::bigint[], 'a known name is staged with its metric_id and its catalog version');
select is((select array[old_uns_path, uns_path] from uns_meta_stage_metrics where ord = 0),
          array[(select uns_path from uns_meta.metrics where metric_id = :old_id), uns_meta.rewrite_path(:'base' || '/' || uns_meta.normalise_segment('old'))],
          'its old path is the stored one; not under the current rules, its path is composed again');
select results_eq($$select metric_id, datatype, alias, is_historical, is_transient, encode(props_hash, 'hex'), reject_reason from uns_meta_stage_metrics where ord = 1$$,
                  $$values (null::bigint, 10::bigint, 3::numeric, true, false, md5('{"keys": ["a"], "values": [{"type": 3, "intValue": 1}]}'::jsonb::text), null::text)$$,
                  'a new name: no metric_id, its fields, the md5 of its property JSON');
select is((select array[uns_path, canary_id] from uns_meta_stage_metrics where ord = 1),
          array[uns_meta.rewrite_path(:'base' || '/' || uns_meta.normalise_segment('Area') || '/' || uns_meta.normalise_segment('new tag')),
                replace(uns_meta.rewrite_path(:'base' || '/' || uns_meta.normalise_segment('Area') || '/' || uns_meta.normalise_segment('new tag')), '/', '.')],
          'its path: the base path and the normalised segments, rewritten; its Canary id: the path with dots');
select is((select reject_reason from uns_meta_stage_metrics where ord = 2),
          'its name segment 2 ("-") normalises to nothing under the path rules and would be dropped from the path; rename it at the edge or add a normalisation rule',
          'a segment that normalises to nothing: rejected, naming it');
select is((select array[reject_reason, datatype::text] from uns_meta_stage_metrics where ord = 3), array['bad thing', null],
          'a metric the caller rejects: its reason, nothing else read');

-- Under the current rules a live metric keeps its stored path (here one the rules would not give).
update uns_meta.metrics set uns_path = uns_path || '_kept' where metric_id = :old_id;
select uns_meta.ingest_birth__reset_staging(:dev, 'T', null);
select uns_meta.ingest_birth__stage_metrics('[{"name": "old", "datatype": 9}]', :dev, :'base', true, false);
select is((select array[uns_path, canary_id] from uns_meta_stage_metrics where ord = 0),
          (select array[uns_path, canary_id] from uns_meta.metrics where metric_id = :old_id),
          'paths current: a live metric keeps its stored path and Canary id');

-- Malformed metrics refuse the birth.
select uns_meta.ingest_birth__reset_staging(:dev, 'T', null);
select is(pg_temp.error_of($$select uns_meta.ingest_birth__stage_metrics('[{"name": "a"}]', 1, 'x', false, false)$$),
          'U0001: ingest_birth: payload.metrics[0] (a) "datatype" is missing', 'a metric without datatype: U0001 naming it');
select is(pg_temp.error_of($$select uns_meta.ingest_birth__stage_metrics('[{"name": "a", "datatype": 9}, 5]', 1, 'x', false, false)$$),
          'U0001: ingest_birth: payload.metrics[1] is not an object', 'an element that is not an object: U0001 naming its index');
select is(current_setting('enable_nestloop'), 'on', 'enable_nestloop is on again after the staging');

-- The catalog lookup probes uq_metric_spb_identity once the table has more pages than the call has metrics
-- (uns_meta.ingest_birth__probes_catalog), else joins the table; both stage the same rows.
select is(uns_meta.ingest_birth__probes_catalog(pg_relation_size('uns_meta.metrics') / 8192 - 1), true,
          'probes when metrics has more pages than the call has metrics');
select is(uns_meta.ingest_birth__probes_catalog(pg_relation_size('uns_meta.metrics') / 8192), false,
          'joins the table when the call has as many metrics as metrics has pages');
set local uns_meta.catalog_probes = 'off';
select is(uns_meta.ingest_birth__probes_catalog(0), false, 'uns_meta.catalog_probes = off: never probes');
set local uns_meta.catalog_probes = 'on';
select is(uns_meta.ingest_birth__probes_catalog(1000000000), true, 'uns_meta.catalog_probes = on: always probes');
-- A retired metric and a live one with a stored path the rules would not give, a new name, a caller's rejection.
select pg_temp.birth('S', '[{"name": "old", "datatype": 9}, {"name": "gone", "datatype": 3, "alias": 7}]', '2026-11-21T11:00:00Z') is not null as born2 \gset
select pg_temp.birth('S', '[{"name": "old", "datatype": 9}]', '2026-11-21T12:00:00Z') is not null as born3 \gset
update uns_meta.metrics set uns_path = uns_path || '_kept' where metric_id = :old_id;
create temp table staged (probes text, paths_current boolean, large boolean, row jsonb);
create function pg_temp.stage_with(probes text, paths_current boolean, large boolean) returns void language plpgsql as $f$
begin
  perform set_config('uns_meta.catalog_probes', probes, true);
  perform uns_meta.ingest_birth__reset_staging(pg_temp.device_id('S'), 'T', null);
  perform uns_meta.ingest_birth__stage_metrics(
            '[{"name": "old", "datatype": 9}, {"name": "gone", "datatype": 3}, {"name": "brand new", "datatype": 12},
              {"name": "n", "reject": "bad thing"}]', pg_temp.device_id('S'), uns_meta.device_base_path('G', 'E', 'S'),
            paths_current, large);
  insert into staged select probes, paths_current, large, to_jsonb(s) from uns_meta_stage_metrics as s;
end
$f$;
select count(*) as stagings from (select pg_temp.stage_with(p, c, l) from (values ('on'), ('off')) as v(p), (values (true), (false)) as w(c), (values (true), (false)) as x(l)) as d \gset
select is((select count(*)::int from staged where probes = 'on' and (row ->> 'metric_id') is not null), 8,
          'probing: the two names the device has are found, in all four stagings');
select set_eq($$select paths_current, large, row from staged where probes = 'on'$$,
              $$select paths_current, large, row from staged where probes = 'off'$$,
              'probing stages exactly the rows the join stages (metric_id, old_* and kept paths), paths current or not, large or not');
select is(current_setting('enable_nestloop'), 'on', 'enable_nestloop is on after a large staging that probed');

select * from finish();
rollback;
