-- pgTAP: uns_meta.ingest_birth__update_metrics(text, integer), step 10 of ingest_birth: each changed existing metric
-- gets one version ('updated', or 'revived' for a retired one) with the diff of its fields, its row is updated, a
-- changed path gets lineage; the counts of the summary.
begin;
set local timezone = 'UTC';
select plan(7);
\ir ingest_birth/_helpers.psql

select volatility_is('uns_meta', 'ingest_birth__update_metrics', array['text', 'integer'], 'volatile', 'update_metrics is volatile');
select pg_temp.birth('U', '[{"name": "a", "datatype": 9}, {"name": "b", "datatype": 9}, {"name": "c", "datatype": 9}, {"name": "d", "datatype": 9}]',
                     '2026-11-21T10:00:00Z') is not null as born1 \gset
-- The second birth retires c.
select pg_temp.birth('U', '[{"name": "a", "datatype": 9}, {"name": "b", "datatype": 9}, {"name": "d", "datatype": 9}]',
                     '2026-11-21T11:00:00Z') is not null as born2 \gset
select pg_temp.device_id('U') as dev \gset
create temp table before as select name, metric_id, version, uns_path, retired_at from uns_meta.metrics where device_id = :dev;
select uns_meta.ingest_birth__reset_staging(:dev, 'T', null);
select set_config('uns_meta.ingest_birth_active', 'on', true);
-- a: datatype 9 -> 10; b: a new path; c: revived; d: unchanged; n: a metric step 8 created.
insert into uns_meta_stage_metrics (ord, name, metric_id, datatype, old_datatype, uns_path, old_uns_path, is_historical, old_is_historical,
                                    is_transient, old_is_transient, old_retired_at, props_hash, old_props_hash, old_version, changed)
select case name when 'a' then 0 when 'b' then 1 when 'c' then 2 else 3 end, name, metric_id, case when name = 'a' then 10 else datatype end,
       datatype, case when name = 'b' then uns_path || '_moved' else uns_path end, uns_path, false, false, false, false, retired_at,
       properties_hash, properties_hash, version, name in ('a', 'b', 'c')
  from uns_meta.metrics where device_id = :dev;
insert into uns_meta_stage_metrics (ord, name, metric_id, is_new, uns_path) values (4, 'n', -1, true, 'X/n');

select is((select array[o_versions, o_updated, o_revived, o_unchanged, o_lineage] from uns_meta.ingest_birth__update_metrics('src', 1)),
          array[3, 2, 1, 1, 1], 'three versions: two updated, one revived; one unchanged (five staged, one new); one lineage row');
select results_eq($$select m.name, v.version_no, v.change_kind, v.source from uns_meta.metric_versions as v join uns_meta.metrics as m using (metric_id)
                     where v.source = 'src' order by m.name$$,
                  $$select name, version + 1, case when retired_at is not null then 'revived' else 'updated' end, 'src'::text
                      from before where name in ('a', 'b', 'c') order by name$$,
                  'a version each for a, b, c, numbered after their last one; c''s is a revival');
select results_eq($$select m.name, v.diff from uns_meta.metric_versions as v join uns_meta.metrics as m using (metric_id) where v.source = 'src' order by m.name$$,
                  $$select name, case name when 'a' then '{"datatype": {"old": 9, "new": 10}}'::jsonb
                                           when 'b' then jsonb_build_object('uns_path', jsonb_build_object('old', uns_path, 'new', uns_path || '_moved'))
                                           else jsonb_build_object('retired_at', jsonb_build_object('old', retired_at, 'new', null)) end
                      from before where name in ('a', 'b', 'c') order by name$$,
                  'each diff names what changed');
select results_eq($$select name, datatype, uns_path, retired_at is null, version from uns_meta.metrics where device_id = $$ || :dev || $$ order by name$$,
                  $$select name, case when name = 'a' then 10::bigint else 9 end, case when name = 'b' then uns_path || '_moved' else uns_path end, true,
                           version + case when name = 'd' then 0 else 1 end from before order by name$$,
                  'the rows take the staged fields; c is live again; d keeps its version');
select is((select array[old_uns_path, new_uns_path, reason] from uns_meta.metric_path_lineage where reason like '%src'),
          (select array[uns_path, uns_path || '_moved', 'path rules applied at birth src'] from before where name = 'b'),
          'b''s new path has lineage naming the birth');
select is((select count(*)::int from uns_meta.metric_versions where source = 'src' and metric_id = (select metric_id from before where name = 'd')), 0,
          'the unchanged metric gets no version');

select * from finish();
rollback;
