-- pgTAP: uns_meta.ingest_birth__stage_metrics(jsonb, bigint, text, boolean, boolean), step 5 of ingest_birth: the
-- metrics staged with what the catalog holds for them, their paths composed (or kept, under the current rules), a
-- segment that normalises to nothing rejected, a malformed metric refused (U0001).
begin;
set local timezone = 'UTC';
select plan(12);
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

select * from finish();
rollback;
