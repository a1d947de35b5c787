-- pgTAP: uns_meta.metric_catalog, the hierarchy with engineering units, limits and description as columns.
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
select plan(9);

select has_view('uns_meta', 'metric_catalog', 'view uns_meta.metric_catalog exists');
select table_privs_are('uns_meta', 'metric_catalog', r, array['SELECT'], format('%s reads it', r))
  from unnest(array['uns_meta_ro', 'uns_meta_app']) as r;
select table_privs_are('uns_meta', 'metric_catalog', 'public', array[]::text[], 'PUBLIC has no right on it');
select is((select array_agg(attname::text order by attnum) from pg_attribute
            where attrelid = 'uns_meta.metric_catalog'::regclass and attnum > 0 and not attisdropped
              and coalesce(col_description(attrelid, attnum), '') = ''), null, 'every column has a comment');

insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'D', 'G/E/D');
insert into uns_meta.metrics (device_id, name, uns_path, datatype)
  select device_id, n, 'G/E/D/P/A/L/' || n, 10 from uns_meta.devices, unnest(array['full', 'bare', 'odd']) as n
   where uns_path = 'G/E/D';
-- full: every property, limits of three numeric storage classes, both description keys (documentation wins)
insert into uns_meta.metric_properties (metric_id, key, type, spb_type, value_string, value_double, value_float, value_int)
  select metric_id, k, t::uns_meta.spb_property_type, s, vs, vd, vf, vi
    from uns_meta.metrics,
         (values ('engUnit', 'string', 12, 'bar', null::float8, null::real, null::int),
                 ('engLow', 'float', 9, null, null, -1.5, null),
                 ('engHigh', 'int', 3, null, null, null, 250),
                 ('documentation', 'string', 12, 'Kiln inlet pressure', null, null, null),
                 ('description', 'string', 12, 'ignored: documentation wins', null, null, null),
                 ('Quality', 'int', 3, null, null, null, 192)) as v(k, t, s, vs, vd, vf, vi)
   where name = 'full';
-- odd: only a description, and a limit that is an explicit null
insert into uns_meta.metric_properties (metric_id, key, type, spb_type, value_string, is_null)
  select metric_id, k, 'string', 12, vs, n
    from uns_meta.metrics, (values ('description', 'Spare', false), ('engHigh', null, true)) as v(k, vs, n)
   where name = 'odd';

select results_eq($$select tag, plant, area, line, eng_unit, eng_low, eng_high, description
                      from uns_meta.metric_catalog order by tag$$,
                  $$values ('bare', 'P', 'A', 'L', null::text, null::float8, null::float8, null::text),
                           ('full', 'P', 'A', 'L', 'bar', -1.5::float8, 250::float8, 'Kiln inlet pressure'),
                           ('odd', 'P', 'A', 'L', null, null, null, 'Spare')$$,
                  'units, limits (float and int read as double precision) and description; documentation wins over description; absent or null: NULL');
select is((select count(*)::int from uns_meta.metric_catalog), (select count(*)::int from uns_meta.metrics),
          'one row per metric, with or without properties');
select is((select array_agg(c.column_name::text order by c.ordinal_position) from information_schema.columns c
            where c.table_schema = 'uns_meta' and c.table_name = 'metric_hierarchy'
              and c.column_name::text not in (select column_name::text from information_schema.columns
                                               where table_schema = 'uns_meta' and table_name = 'metric_catalog')),
          null, 'every column of metric_hierarchy is in metric_catalog');
set local role uns_meta_ro;
select is((select eng_unit from uns_meta.metric_catalog where tag = 'full'), 'bar', 'uns_meta_ro reads it');
reset role;

select * from finish();
rollback;
