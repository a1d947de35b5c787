-- pgTAP: uns_meta.ingest_birth on existing metrics whose birth changed: a property value, an added key, a removed
-- key (deleted, its old typed value in the diff), a property's type, a value turned explicit null, nested
-- members, the datatype, alias and flags, the path -- each changed metric gets exactly one version per birth with
-- the documented diff shape:
--   {"properties": {"added": {k: new}, "removed": {k: old}, "changed": {k: {"old": old, "new": new}}},
--    "datatype": {"old", "new"}, "uns_path": {"old", "new"}, "alias": {"old", "new"},
--    "is_historical": {"old", "new"}, "is_transient": {"old", "new"}}   (only the parts that changed)
-- where each property value is {"type": <Sparkplug type name>, "value": ...} or {"type": ..., "is_null": true}.
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local extra_float_digits = 1;
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(22);
\ir _helpers.psql

-- Every metric starts with the same properties: a Int32 1, b String "x", c UInt64 max, n {lo Int8 1, hi Int8 2}.
create temp table base (props jsonb);
insert into base values ('{"keys": ["a", "b", "c", "n"],
  "values": [{"type": 3, "intValue": 1}, {"type": 12, "stringValue": "x"}, {"type": 8, "longValue": "18446744073709551615"},
             {"type": 20, "propertysetValue": {"keys": ["lo", "hi"], "values": [{"type": 1, "intValue": 1}, {"type": 1, "intValue": 2}]}}]}');
create function pg_temp.m(name text, datatype int default 9, props jsonb default null, extra jsonb default '{}') returns jsonb
  language sql as $$
  select jsonb_build_object('name', name, 'datatype', datatype, 'properties', coalesce(props, (select b.props from base as b))) || extra
$$;
-- The base property set with one value replaced / one key added / one key removed.
create function pg_temp.with_value(k text, v jsonb) returns jsonb language sql as $$
  select jsonb_set(b.props, array['values', (select (i - 1)::text from jsonb_array_elements_text(b.props -> 'keys') with ordinality as e(x, i) where x = k)], v)
    from base as b
$$;
create function pg_temp.plus(k text, v jsonb, props jsonb default null) returns jsonb language sql as $$
  select jsonb_build_object('keys', (p -> 'keys') || to_jsonb(k), 'values', (p -> 'values') || v)
    from (select coalesce(props, (select b.props from base as b)) as p) as s
$$;
create function pg_temp.minus(k text, props jsonb default null) returns jsonb language sql as $$
  select jsonb_build_object('keys', (select jsonb_agg(x order by i) from jsonb_array_elements(p -> 'keys') with ordinality as e(x, i) where x #>> '{}' <> k),
                            'values', (select jsonb_agg(v order by i) from jsonb_array_elements(p -> 'values') with ordinality as e(v, i)
                                        where (p -> 'keys' ->> (i - 1)::int) <> k))
    from (select coalesce(props, (select b.props from base as b)) as p) as s
$$;

select jsonb_build_array(pg_temp.m('m_val'), pg_temp.m('m_add'), pg_temp.m('m_rem'), pg_temp.m('m_dt'), pg_temp.m('m_type'),
                         pg_temp.m('m_null'), pg_temp.m('m_nested'), pg_temp.m('m_flags'), pg_temp.m('m_all'), pg_temp.m('m_same')) as b1 \gset
set local role uns_meta_app;
select pg_temp.birth('P', :'b1', '2026-11-21T10:00:00Z') as r1 \gset
reset role;
select is(((:'r1'::jsonb) -> 'metrics' ->> 'inserted')::int, 10, 'ten metrics with the same base properties');
select is(((:'r1'::jsonb) ->> 'properties_written')::int, 60, '... 6 property rows each (a, b, c, the set n, n/lo, n/hi)');

-- One birth, one kind of change per metric (m_all: all kinds at once, its path by a rewrite rule).
insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('^G/E/P/m_all$', 'G/E/P/m_all renamed', 'test');
select jsonb_build_array(
  pg_temp.m('m_val', props => pg_temp.with_value('a', '{"type": 3, "intValue": 2}')),
  pg_temp.m('m_add', props => pg_temp.plus('e', '{"type": 11, "booleanValue": true}')),
  pg_temp.m('m_rem', props => pg_temp.minus('c')),
  pg_temp.m('m_dt', datatype => 10),
  pg_temp.m('m_type', props => pg_temp.with_value('a', '{"type": 12, "stringValue": "1"}')),
  pg_temp.m('m_null', props => pg_temp.with_value('b', '{"type": 12, "isNull": true}')),
  pg_temp.m('m_nested', props => pg_temp.with_value('n', '{"type": 20, "propertysetValue": {"keys": ["hi", "mid"],
                                                          "values": [{"type": 1, "intValue": 3}, {"type": 1, "intValue": 255}]}}')),
  pg_temp.m('m_flags', extra => '{"alias": 7, "isHistorical": true, "isTransient": true}'),
  pg_temp.m('m_all', datatype => 12, props => pg_temp.plus('e', '{"type": 11, "booleanValue": true}',
                                                          pg_temp.minus('c', pg_temp.with_value('a', '{"type": 3, "intValue": 4294967295}')))),
  pg_temp.m('m_same')) as b2 \gset
set local role uns_meta_app;
select pg_temp.birth('P', :'b2', '2026-11-21T11:00:00Z') as r2 \gset
reset role;

select is(pg_temp.summary(:'r2') - 'rejections' - 'device_uns_path',
          '{"metrics": {"inserted": 0, "updated": 9, "revived": 0, "unchanged": 1, "retired": 0, "rejected": 0},
            "properties_written": 11, "versions_written": 9, "lineage_written": 1, "jobs_enqueued": 1}'::jsonb,
          '9 metrics updated, 1 unchanged; 11 property rows written; 9 versions; 1 lineage row; 1 job');
select results_eq($$select m.name, count(v.*)::int from uns_meta.metrics as m left join uns_meta.metric_versions as v
                       on v.metric_id = m.metric_id and v.version_no = 2 group by m.name order by m.name$$,
                  $$values ('m_add', 1), ('m_all', 1), ('m_dt', 1), ('m_flags', 1), ('m_nested', 1), ('m_null', 1), ('m_rem', 1),
                           ('m_same', 0), ('m_type', 1), ('m_val', 1)$$,
                  'exactly one version per changed metric, none for the unchanged one');
create temp view diff2 as
  select m.name, v.change_kind, v.diff from uns_meta.metric_versions as v join uns_meta.metrics as m using (metric_id) where v.version_no = 2;
select is((select diff from diff2 where name = 'm_val'),
          '{"properties": {"changed": {"a": {"old": {"type": "Int32", "value": 1}, "new": {"type": "Int32", "value": 2}}}}}'::jsonb,
          'changed value: properties.changed.<key> = {old, new}');
select is((select diff from diff2 where name = 'm_add'),
          '{"properties": {"added": {"e": {"type": "Boolean", "value": true}}}}'::jsonb, 'added key: properties.added.<key> = new');
select is((select diff from diff2 where name = 'm_rem'),
          '{"properties": {"removed": {"c": {"type": "UInt64", "value": 18446744073709551615}}}}'::jsonb,
          'removed key: properties.removed.<key> = the old typed value');
select is((select count(*)::int from uns_meta.metric_properties where metric_id = pg_temp.metric_id('P', 'm_rem') and key = 'c'), 0,
          'removed key: the property row is deleted');
select is((select diff from diff2 where name = 'm_dt'), '{"datatype": {"old": 9, "new": 10}}'::jsonb, 'datatype change: datatype = {old, new}');
select is((select datatype from uns_meta.metrics where name = 'm_dt'), 10::bigint, '... and metrics.datatype follows');
select is((select diff from diff2 where name = 'm_type'),
          '{"properties": {"changed": {"a": {"old": {"type": "Int32", "value": 1}, "new": {"type": "String", "value": "1"}}}}}'::jsonb,
          'a property''s type change: changed, with both typed values');
select results_eq($$select type::text, spb_type, value_int, value_string from uns_meta.metric_properties where metric_id = pg_temp.metric_id('P', 'm_type') and key = 'a'$$,
                  $$values ('string', 12::bigint, null::int, '1')$$, '... and the row moves to the other typed column');
select is((select diff from diff2 where name = 'm_null'),
          '{"properties": {"changed": {"b": {"old": {"type": "String", "value": "x"}, "new": {"type": "String", "is_null": true}}}}}'::jsonb,
          'a value turned explicit null: new = {"type", "is_null": true}');
select is((select diff from diff2 where name = 'm_nested'),
          '{"properties": {"added": {"n/mid": {"type": "Int8", "value": -1, "key_path": ["n", "mid"]}},
                           "removed": {"n/lo": {"type": "Int8", "value": 1, "key_path": ["n", "lo"]}},
                           "changed": {"n/hi": {"old": {"type": "Int8", "value": 2, "key_path": ["n", "hi"]},
                                                "new": {"type": "Int8", "value": 3, "key_path": ["n", "hi"]}}}}}'::jsonb,
          'nested members are diffed by their flat keys, each with its key_path: added, removed and changed in one version');
select is((select diff from diff2 where name = 'm_flags'),
          '{"alias": {"old": null, "new": 7}, "is_historical": {"old": false, "new": true}, "is_transient": {"old": false, "new": true}}'::jsonb,
          'alias and flags: {old, new} each');
select is((select diff from diff2 where name = 'm_all'),
          '{"properties": {"added": {"e": {"type": "Boolean", "value": true}}, "removed": {"c": {"type": "UInt64", "value": 18446744073709551615}},
                           "changed": {"a": {"old": {"type": "Int32", "value": 1}, "new": {"type": "Int32", "value": -1}}}},
            "datatype": {"old": 9, "new": 12}, "uns_path": {"old": "G/E/P/m_all", "new": "G/E/P/m_all renamed"}}'::jsonb,
          'everything at once: one version with properties, datatype and uns_path');
select is((select count(*)::int from diff2 where change_kind <> 'updated'), 0, 'all of them are "updated" versions');
select is((select count(*)::int from uns_meta.metrics where version <> case when name = 'm_same' then 1 else 2 end), 0,
          'metrics.version is 2 for the changed metrics, 1 for the unchanged one');
select bag_eq($$select m.name, p.key from uns_meta.metric_properties as p join uns_meta.metrics as m using (metric_id) where m.name in ('m_all', 'm_nested')$$,
              $$values ('m_all', 'a'), ('m_all', 'b'), ('m_all', 'e'), ('m_all', 'n'), ('m_all', 'n/lo'), ('m_all', 'n/hi'),
                       ('m_nested', 'a'), ('m_nested', 'b'), ('m_nested', 'c'), ('m_nested', 'n'), ('m_nested', 'n/hi'), ('m_nested', 'n/mid')$$,
              'the stored property sets are exactly those of the new birth');

-- Back again: removing the alias and the flags, and all the properties.
select jsonb_build_array(pg_temp.m('m_flags'), pg_temp.m('m_val', props => '{}')) || jsonb_path_query_array(:'b2', '$[*] ? (@.name != "m_flags" && @.name != "m_val")') as b3 \gset
set local role uns_meta_app;
select pg_temp.birth('P', :'b3', '2026-11-21T12:00:00Z') as r3 \gset
reset role;
select is((select diff from uns_meta.metric_versions where metric_id = pg_temp.metric_id('P', 'm_flags') and version_no = 3),
          '{"alias": {"old": 7, "new": null}, "is_historical": {"old": true, "new": false}, "is_transient": {"old": true, "new": false}}'::jsonb,
          'an alias the birth no longer sends is recorded as {"old": 7, "new": null}');
select is((select jsonb_object_keys(diff -> 'properties') from uns_meta.metric_versions where metric_id = pg_temp.metric_id('P', 'm_val') and version_no = 3),
          'removed', 'a birth with no properties removes them all, recorded under properties.removed');
select is((select count(*)::int from uns_meta.metric_properties where metric_id = pg_temp.metric_id('P', 'm_val')), 0, '... and deletes them');

select * from finish();
rollback;
