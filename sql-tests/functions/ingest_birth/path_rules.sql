-- pgTAP: uns_meta.ingest_birth and the DBA's path rules. A rewrite rule renaming the plant `Outão` -> `Outao`
-- is applied by the next birth: the metric keeps its metric_id, lineage records old -> new, one version row
-- records the uns_path change. uns_meta.reapply_path_rules() applies a rule to existing rows
-- at once. A changed segment_normalisation_rules table recompiles normalise_segment(); an invalid regular
-- expression is refused with U0103. Rule functions themselves: sql-tests/functions/path_rules.sql.
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local extra_float_digits = 1;
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(41);
\ir _helpers.psql

select '[{"name": "Outão/400 - Clinker/Kiln  Temp", "datatype": 10,
          "properties": {"keys": ["engUnit"], "values": [{"type": 12, "stringValue": "°C"}]}},
         {"name": "Maceira/Tag", "datatype": 11}]' as plant \gset
set local role uns_meta_app;
select pg_temp.birth('Cement', :'plant', '2026-11-21T10:00:00Z', grp => 'Secil', edge => 'Portugal') as r1 \gset
reset role;
create temp table m0 as select * from uns_meta.metrics;
select results_eq($$select name, uns_path from m0 order by name$$,
                  $$values ('Maceira/Tag', 'Secil/Portugal/Cement/Maceira/Tag'),
                           ('Outão/400 - Clinker/Kiln  Temp', 'Secil/Portugal/Cement/Outão/400 - Clinker/Kiln Temp')$$,
                  'before the rule: the plant segment is Outão (and the double space of the name collapses)');

-- 1. A rename rule, applied by the next birth ------------------------------------------------------------------
insert into uns_meta.path_rewrite_rules (pattern, replacement, description)
  values ('^(Secil/Portugal/Cement)/Outão(/|$)', '\1/Outao\2', 'Plant Outão renamed Outao (ticket 42)');
select is(uns_meta.rewrite_path('Secil/Portugal/Cement/Outão/400 - Clinker/Kiln Temp'), 'Secil/Portugal/Cement/Outao/400 - Clinker/Kiln Temp',
          'the new rule is compiled into rewrite_path() at once');
select bag_eq($$select * from uns_meta.metrics$$, $$select * from m0$$,
              'a new rule alone changes no existing row (they change at the next birth or through reapply_path_rules)');

set local role uns_meta_app;
select pg_temp.birth('Cement', :'plant', '2026-11-21T11:00:00Z', grp => 'Secil', edge => 'Portugal') as r2 \gset
reset role;
select is(pg_temp.summary(:'r2') - 'rejections' - 'device_uns_path',
          '{"metrics": {"inserted": 0, "updated": 1, "revived": 0, "unchanged": 1, "retired": 0, "rejected": 0},
            "properties_written": 0, "versions_written": 1, "lineage_written": 1, "jobs_enqueued": 1}'::jsonb,
          'the next birth applies the rule: 1 metric updated (its path), 1 lineage row, 1 version, 1 job');
select results_eq($$select m.metric_id, m.uns_path, m.canary_id, m.version from uns_meta.metrics as m where m.name like 'Outão/%'$$,
                  $$select metric_id, 'Secil/Portugal/Cement/Outao/400 - Clinker/Kiln Temp', 'Secil.Portugal.Cement.Outao.400 - Clinker.Kiln Temp', 2
                      from m0 where name like 'Outão/%'$$,
                  'the metric keeps its metric_id; uns_path and canary_id follow the rule; version 2');
select results_eq($$select metric_id, old_uns_path, new_uns_path, changed_by, reason, changed_at = now() from uns_meta.metric_path_lineage$$,
                  $$select metric_id, 'Secil/Portugal/Cement/Outão/400 - Clinker/Kiln Temp', 'Secil/Portugal/Cement/Outao/400 - Clinker/Kiln Temp',
                           'system', 'path rules applied at birth spBv1.0/Secil/DBIRTH/Portugal/Cement received 2026-11-21T11:00:00.000Z', true
                      from m0 where name like 'Outão/%'$$,
                  'metric_path_lineage records old -> new, by system, naming the birth');
select results_eq($$select v.version_no, v.change_kind, v.diff from uns_meta.metric_versions as v
                     join uns_meta.metrics as m using (metric_id) where m.name like 'Outão/%' and v.version_no = 2$$,
                  $$values (2, 'updated', '{"uns_path": {"old": "Secil/Portugal/Cement/Outão/400 - Clinker/Kiln Temp",
                                                         "new": "Secil/Portugal/Cement/Outao/400 - Clinker/Kiln Temp"}}'::jsonb)$$,
                  'one "updated" version whose diff is exactly the uns_path change');
select is((select uns_path from uns_meta.metrics where name = 'Maceira/Tag'), 'Secil/Portugal/Cement/Maceira/Tag',
          'a metric the rule does not match is untouched');
select is((select value_string from uns_meta.metric_properties where key = 'engUnit'), '°C', 'the renamed metric keeps its properties');
select is((select count(*)::int from uns_meta.device_path_lineage), 0, 'the device path did not change: no device lineage');

set local role uns_meta_app;
select pg_temp.birth('Cement', :'plant', '2026-11-21T12:00:00Z', grp => 'Secil', edge => 'Portugal') as r3 \gset
reset role;
select is(pg_temp.summary(:'r3') -> 'metrics', '{"inserted": 0, "updated": 0, "revived": 0, "unchanged": 2, "retired": 0, "rejected": 0}'::jsonb,
          'the birth after: a no-op');
select is((select count(*)::int from uns_meta.metric_path_lineage), 1, '... and no second lineage row');

-- 2. uns_meta.reapply_path_rules(): a new rule applied to existing rows now -------------------------------------
-- On a device of its own (G/E/R), while every stored path agrees with the rules.
set local role uns_meta_app;
select pg_temp.birth('R', '[{"name": "Maceira/Tag", "datatype": 11}]', '2026-11-21T12:30:00Z') as r_r \gset
reset role;
select has_function('uns_meta', 'reapply_path_rules', 'uns_meta.reapply_path_rules() is deployed (functions/reapply_path_rules)');
create function pg_temp.reapply_tests() returns setof text language plpgsql as $$
declare
  v_id bigint := pg_temp.metric_id('R', 'Maceira/Tag');
  v_device bigint := pg_temp.device_id('R');
  v_plant integer;
  v_device_rule integer;
  v_reapplied text := format('path rules reapplied by %s at %s: ', current_user, now());
begin
  insert into uns_meta.path_rewrite_rules (pattern, replacement, description)
    values ('^G/E/R/Maceira/', 'G/E/R/Maceira Plant/', 'test: plant Maceira renamed') returning rule_id into v_plant;
  execute 'select uns_meta.reapply_path_rules()';
  return next is((select uns_path from uns_meta.metrics where metric_id = v_id), 'G/E/R/Maceira Plant/Tag',
                 'reapply_path_rules(): the existing metric takes the new path now, without a birth');
  return next is((select count(*)::int from uns_meta.metric_path_lineage
                   where metric_id = v_id and old_uns_path = 'G/E/R/Maceira/Tag' and new_uns_path = 'G/E/R/Maceira Plant/Tag'), 1,
                 'reapply_path_rules(): lineage old -> new for the same metric_id');
  return next is((select diff -> 'uns_path' from uns_meta.metric_versions where metric_id = v_id order by version_no desc limit 1),
                 '{"old": "G/E/R/Maceira/Tag", "new": "G/E/R/Maceira Plant/Tag"}'::jsonb,
                 'reapply_path_rules(): a version row records the uns_path change');
  return next is((select version from uns_meta.metrics where metric_id = v_id),
                 (select max(version_no) from uns_meta.metric_versions where metric_id = v_id),
                 'reapply_path_rules(): metrics.version follows the new version row');
  -- The lineage row and the version name the rule that put the metric on its new path (and not the enabled rule
  -- of section 1, which does not match it).
  return next is((select reason from uns_meta.metric_path_lineage where metric_id = v_id),
                 format('%spath_rewrite_rules %s "test: plant Maceira renamed"; path rules version %s', v_reapplied, v_plant, uns_meta.path_rules_version()),
                 'reapply_path_rules(): the lineage reason names the rule (rule_id and description) that gives the new path');
  return next is((select source from uns_meta.metric_versions where metric_id = v_id order by version_no desc limit 1),
                 (select reason from uns_meta.metric_path_lineage where metric_id = v_id),
                 'reapply_path_rules(): the version''s source says the same');
  execute 'select uns_meta.reapply_path_rules()';
  return next is((select count(*)::int from uns_meta.metric_path_lineage where metric_id = v_id), 1,
                 'reapply_path_rules() a second time changes nothing');

  -- A second rule, on the device path: the device moves by it alone, the metric by both, named in rule_id order.
  insert into uns_meta.path_rewrite_rules (pattern, replacement, description)
    values ('^G/E/R(/|$)', 'G/E/Rotary\1', 'test: device R renamed Rotary') returning rule_id into v_device_rule;
  execute 'select uns_meta.reapply_path_rules()';
  return next is((select reason from uns_meta.device_path_lineage where device_id = v_device and new_uns_path = 'G/E/Rotary'),
                 format('%spath_rewrite_rules %s "test: device R renamed Rotary"; path rules version %s', v_reapplied, v_device_rule, uns_meta.path_rules_version()),
                 'reapply_path_rules(): the device lineage reason names the rule that moved the device, not the metric''s rule');
  return next is((select reason from uns_meta.metric_path_lineage where metric_id = v_id and new_uns_path = 'G/E/Rotary/Maceira Plant/Tag'),
                 format('%spath_rewrite_rules %s "test: plant Maceira renamed", %s "test: device R renamed Rotary"; path rules version %s',
                        v_reapplied, v_plant, v_device_rule, uns_meta.path_rules_version()),
                 'reapply_path_rules(): the metric lineage reason names every rule that changes its normalised path, in rule_id order');

  -- Both rules disabled: the paths go back to the normalised ones, and the reason says no rewrite rule applies.
  update uns_meta.path_rewrite_rules set enabled = false where rule_id in (v_plant, v_device_rule);
  execute 'select uns_meta.reapply_path_rules()';
  return next is((select array[old_uns_path, new_uns_path, reason] from uns_meta.metric_path_lineage where metric_id = v_id and new_uns_path = 'G/E/R/Maceira/Tag'),
                 array['G/E/Rotary/Maceira Plant/Tag', 'G/E/R/Maceira/Tag',
                       format('%sno path_rewrite_rules rule applies, the path is the normalised one (segment_normalisation_rules); path rules version %s',
                              v_reapplied, uns_meta.path_rules_version())],
                 'reapply_path_rules() after the rules were disabled: the metric moves back, the reason says no rewrite rule applies now');
  return next is((select reason from uns_meta.device_path_lineage where device_id = v_device and new_uns_path = 'G/E/R'),
                 format('%sno path_rewrite_rules rule applies, the path is the normalised one (segment_normalisation_rules); path rules version %s',
                        v_reapplied, uns_meta.path_rules_version()),
                 '... and so does the device''s');
  delete from uns_meta.path_rewrite_rules where rule_id in (v_plant, v_device_rule);
end $$;
select * from pg_temp.reapply_tests();

-- A device-level rule: the device keeps its device_id, device lineage is written, country / business unit follow.
insert into uns_meta.path_rewrite_rules (pattern, replacement, description)
  values ('^Secil/Portugal/Cement(/|$)', 'Secil/Portugal/Cimento\1', 'test: business unit renamed');
set local role uns_meta_app;
select pg_temp.birth('Cement', :'plant', '2026-11-21T13:00:00Z', grp => 'Secil', edge => 'Portugal') as r4 \gset
reset role;
select is(pg_temp.summary(:'r4') - 'rejections' - 'metrics' - 'jobs_enqueued',
          '{"device_uns_path": "Secil/Portugal/Cimento", "properties_written": 0, "versions_written": 2, "lineage_written": 3}'::jsonb,
          'a rule on the device path: the summary reports the new device path, 2 metric versions and 3 lineage rows (device + 2 metrics)');
select results_eq($$select device_id, uns_path, country, business_unit from uns_meta.devices where group_id = 'Secil'$$,
                  format($$values (%s::bigint, 'Secil/Portugal/Cimento', 'Portugal', 'Cimento')$$, (:'r1'::jsonb) ->> 'device_id'),
                  'the device keeps its device_id; its path, and business_unit with it, follow the rule');
select results_eq($$select old_uns_path, new_uns_path, changed_by from uns_meta.device_path_lineage where old_uns_path like 'Secil/%'$$,
                  $$values ('Secil/Portugal/Cement', 'Secil/Portugal/Cimento', 'system')$$, 'device_path_lineage records old -> new');
select results_eq($$select old_uns_path, new_uns_path from uns_meta.metric_path_lineage where old_uns_path like 'Secil/%' order by lineage_id$$,
                  $$values ('Secil/Portugal/Cement/Outão/400 - Clinker/Kiln Temp', 'Secil/Portugal/Cement/Outao/400 - Clinker/Kiln Temp'),
                           ('Secil/Portugal/Cement/Outao/400 - Clinker/Kiln Temp', 'Secil/Portugal/Cimento/Outao/400 - Clinker/Kiln Temp'),
                           ('Secil/Portugal/Cement/Maceira/Tag', 'Secil/Portugal/Cimento/Maceira/Tag')$$,
                  'metric lineage chains: rules apply in rule_id order, each rename recorded once');
delete from uns_meta.path_rewrite_rules where description = 'test: business unit renamed';

-- 3. segment_normalisation_rules: a change recompiles normalise_segment() --------------------------------------
select is(uns_meta.normalise_segment('400 - Clinker Production'), '400 - Clinker Production', 'default normaliser keeps single spaces');
insert into uns_meta.segment_normalisation_rules (step, action, pattern, replacement, flags, description)
  values (25, 'regexp_replace', ' ', '_', 'g', 'test: the earlier normaliser replaced spaces with "_"');
select is(uns_meta.normalise_segment('400 - Clinker Production'), '400_-_Clinker_Production',
          'a new step (spaces -> "_") is compiled into normalise_segment() at once');
select is(uns_meta.normalise_segment('Kiln  Temp'), 'Kiln_Temp', '... in step order: whitespace collapses first (step 20), then becomes "_"');
delete from uns_meta.path_rewrite_rules;
set local role uns_meta_app;
select pg_temp.birth('Cement', :'plant', '2026-11-21T14:00:00Z', grp => 'Secil', edge => 'Portugal') as r5 \gset
reset role;
select results_eq($$select name, uns_path, canary_id from uns_meta.metrics where uns_path like 'Secil/%' order by name$$,
                  $$values ('Maceira/Tag', 'Secil/Portugal/Cement/Maceira/Tag', 'Secil.Portugal.Cement.Maceira.Tag'),
                           ('Outão/400 - Clinker/Kiln  Temp', 'Secil/Portugal/Cement/Outão/400_-_Clinker/Kiln_Temp', 'Secil.Portugal.Cement.Outão.400_-_Clinker.Kiln_Temp')$$,
                  'the next birth applies the new normaliser (and the rules removed): the same metrics, new paths');
select is(((:'r5'::jsonb) -> 'metrics' ->> 'inserted')::int, 0, 'no metric is new: identity is the Sparkplug name, not the path');
select is((select count(*)::int from uns_meta.metric_path_lineage
            where new_uns_path = 'Secil/Portugal/Cement/Outão/400_-_Clinker/Kiln_Temp'), 1, 'lineage records the renamed path');
update uns_meta.segment_normalisation_rules set enabled = false where step = 25;
select is(uns_meta.normalise_segment('400 - Clinker Production'), '400 - Clinker Production', 'disabling the step recompiles the normaliser');

-- 4. Invalid rules are refused with U0103; nothing changes ------------------------------------------------------
select pg_get_functiondef('uns_meta.normalise_segment(text)'::regprocedure) as seg_def,
       pg_get_functiondef('uns_meta.rewrite_path(text)'::regprocedure) as path_def \gset
select throws_like($$insert into uns_meta.segment_normalisation_rules (step, action, pattern, replacement, description)
                     values (99, 'regexp_replace', '(unclosed', '_', 'test')$$,
                   'segment_normalisation_rules step 99: invalid regular expression%',
                   'an invalid segment rule regexp is refused, naming the step');
select is(pg_temp.error_of($$update uns_meta.segment_normalisation_rules set pattern = '[a-' where step = 30$$),
          'U0103: segment_normalisation_rules step 30: invalid regular expression: brackets [] not balanced',
          'SQLSTATE U0103, also for an UPDATE of an existing step');
select matches(pg_temp.error_of($$insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('a{2,1}', 'b', 'test')$$),
          '^U0103: path_rewrite_rules rule [0-9]+: invalid regular expression: invalid repetition count\(s\)$',
          'an invalid path rule regexp is refused with U0103, naming the rule');
select is(pg_get_functiondef('uns_meta.normalise_segment(text)'::regprocedure), :'seg_def', 'normalise_segment() is unchanged after the refusals');
select is(pg_get_functiondef('uns_meta.rewrite_path(text)'::regprocedure), :'path_def', 'rewrite_path() is unchanged after the refusals');
select is((select count(*)::int from uns_meta.segment_normalisation_rules where step = 99), 0, 'the invalid step was not stored');

select * from finish();
rollback;
