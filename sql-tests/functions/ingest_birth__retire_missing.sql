-- pgTAP: uns_meta.ingest_birth__retire_missing(bigint, text, integer, timestamptz, text), step 11 of ingest_birth on
-- the last call: the live metrics the birth does not name are retired with a version; a one-to-one pair of a retired
-- and a created metric (the same alias) is a rename, linked by renamed_to and lineage. A chunked birth's names are
-- those of all its chunks. (Every rename rule through ingest_birth: ingest_birth/renames.sql.)
begin;
set local timezone = 'UTC';
select plan(7);
\ir ingest_birth/_helpers.psql

select volatility_is('uns_meta', 'ingest_birth__retire_missing', array['bigint', 'text', 'integer', 'timestamp with time zone', 'text'], 'volatile',
                     'retire_missing is volatile');
select pg_temp.birth('T', '[{"name": "keep", "datatype": 9}, {"name": "gone", "datatype": 10}, {"name": "old_alias", "datatype": 9, "alias": 5}]',
                     '2026-11-21T10:00:00Z') is not null as born \gset
select pg_temp.device_id('T') as dev, pg_temp.metric_id('T', 'gone') as gone, pg_temp.metric_id('T', 'old_alias') as old_alias,
       (select uns_path from uns_meta.metrics where metric_id = pg_temp.metric_id('T', 'old_alias')) as old_path \gset
select uns_meta.ingest_birth__reset_staging(:dev, 'T', null);
select set_config('uns_meta.ingest_birth_active', 'on', true);
-- This birth (source S): keep, and new_alias created by step 8 with old_alias's alias.
insert into uns_meta_stage_metrics (ord, name, uns_path, datatype, alias, is_historical, is_transient, props_hash, metric_id) values
  (0, 'new_alias', 'X/new_alias', 9, 5, false, false, '\x01', null),
  (1, 'keep', null, 9, null, false, false, '\x01', pg_temp.metric_id('T', 'keep'));
select o_inserted from uns_meta.ingest_birth__insert_metrics(:dev, 'S');
select pg_temp.metric_id('T', 'new_alias') as new_id \gset

select is((select array[o_retired, o_lineage] from uns_meta.ingest_birth__retire_missing(:dev, 'E', null, '2026-11-21T12:00:00Z', 'S')),
          array[2, 1], 'two metrics retired (gone, old_alias), one lineage row (the rename)');
select results_eq($$select name, retired_at, version from uns_meta.metrics where device_id = $$ || :dev || $$ order by name$$,
                  $$values ('gone'::text, '2026-11-21T12:00:00Z'::timestamptz, 2), ('keep', null, 1), ('new_alias', null, 1), ('old_alias', '2026-11-21T12:00:00Z', 2)$$,
                  'the metrics the birth does not name are retired at received_at, their version moved on');
select is((select diff from uns_meta.metric_versions where metric_id = :gone and version_no = 2 and change_kind = 'retired' and source = 'S'),
          jsonb_build_object('retired_at', jsonb_build_object('old', null, 'new', '2026-11-21T12:00:00Z'::timestamptz)),
          'a retired version with the time');
select is((select diff -> 'renamed_to' from uns_meta.metric_versions where metric_id = :old_alias and version_no = 2),
          jsonb_build_object('metric_id', :new_id, 'name', 'new_alias', 'uns_path', 'X/new_alias', 'evidence', 'alias 5 on edge node E'),
          'the retired metric with the alias of a created one: renamed_to names it, with the evidence');
select is((select array[old_uns_path, new_uns_path] from uns_meta.metric_path_lineage where metric_id = :new_id),
          array[:'old_path', 'X/new_alias'], 'lineage links the old path to the new one');

-- A chunked birth: the names of all its chunks (uns_meta_birth_names), not this call's.
select pg_temp.birth('T2', '[{"name": "x", "datatype": 9}, {"name": "y", "datatype": 9}]', '2026-11-21T10:00:00Z') is not null as born2 \gset
insert into uns_meta_birth_names (device_id, name) values (pg_temp.device_id('T2'), 'x');
insert into uns_meta_stage_metrics (ord, name) values (2, 'y');
select uns_meta.ingest_birth__retire_missing(pg_temp.device_id('T2'), 'E', 1, '2026-11-21T12:00:00Z', 'S2');
select is((select array_agg(name || ':' || (retired_at is not null) order by name) from uns_meta.metrics where device_id = pg_temp.device_id('T2')),
          array['x:false', 'y:true'], 'a chunked birth keeps exactly the names of its chunks');

select * from finish();
rollback;
