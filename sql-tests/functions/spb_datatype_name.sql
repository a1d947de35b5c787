-- pgTAP: uns_meta.spb_datatype_name(bigint), Sparkplug B 3.0 DataType names for analysts.
begin;
select plan(16);

select has_function('uns_meta', 'spb_datatype_name', array['bigint'], 'function uns_meta.spb_datatype_name(bigint) exists');
select function_returns('uns_meta', 'spb_datatype_name', array['bigint'], 'text', 'spb_datatype_name(bigint) returns text');
select function_lang_is('uns_meta', 'spb_datatype_name', array['bigint'], 'sql', 'spb_datatype_name(bigint) is SQL');
select volatility_is('uns_meta', 'spb_datatype_name', array['bigint'], 'immutable', 'spb_datatype_name(bigint) is immutable');
select isnt_strict('uns_meta', 'spb_datatype_name', array['bigint'], 'spb_datatype_name(bigint) is not STRICT, so the planner can inline it');
select isnt_definer('uns_meta', 'spb_datatype_name', array['bigint'], 'spb_datatype_name(bigint) is SECURITY INVOKER');
select is((select proparallel from pg_proc where oid = 'uns_meta.spb_datatype_name(bigint)'::regprocedure), 's',
          'spb_datatype_name(bigint) is parallel safe');
select function_owner_is('uns_meta', 'spb_datatype_name', array['bigint'], 'uns_meta_admin', 'spb_datatype_name(bigint) is owned by uns_meta_admin');
select isnt(obj_description('uns_meta.spb_datatype_name(bigint)'::regprocedure, 'pg_proc'), null, 'spb_datatype_name(bigint) has a comment');
select function_privs_are('uns_meta', 'spb_datatype_name', array['bigint'], 'uns_meta_app', array['EXECUTE'],
                          'uns_meta_app may execute spb_datatype_name(bigint)');
select function_privs_are('uns_meta', 'spb_datatype_name', array['bigint'], 'uns_meta_ro', array['EXECUTE'],
                          'uns_meta_ro may execute spb_datatype_name(bigint)');

-- Every code of the Sparkplug B 3.0 DataType enum, with the neighbours on both sides.
select results_eq(
  'select code, uns_meta.spb_datatype_name(code) from generate_series(-1::bigint, 35) as code order by code',
  $$values (-1::bigint, 'Unknown(-1)'), (0, 'Unknown'),
           (1, 'Int8'), (2, 'Int16'), (3, 'Int32'), (4, 'Int64'), (5, 'UInt8'), (6, 'UInt16'), (7, 'UInt32'),
           (8, 'UInt64'), (9, 'Float'), (10, 'Double'), (11, 'Boolean'), (12, 'String'), (13, 'DateTime'),
           (14, 'Text'), (15, 'UUID'), (16, 'DataSet'), (17, 'Bytes'), (18, 'File'), (19, 'Template'),
           (20, 'PropertySet'), (21, 'PropertySetList'), (22, 'Int8Array'), (23, 'Int16Array'),
           (24, 'Int32Array'), (25, 'Int64Array'), (26, 'UInt8Array'), (27, 'UInt16Array'), (28, 'UInt32Array'),
           (29, 'UInt64Array'), (30, 'FloatArray'), (31, 'DoubleArray'), (32, 'BooleanArray'),
           (33, 'StringArray'), (34, 'DateTimeArray'), (35, 'Unknown(35)')$$,
  'codes 1..34 have their Sparkplug names, 0 is Unknown, others Unknown(<code>)');
select is(uns_meta.spb_datatype_name(4294967295), 'Unknown(4294967295)',
          'the largest uint32 code (metrics.datatype allows it) is kept in the name, no integer overflow');
select is(uns_meta.spb_datatype_name(-9223372036854775808), 'Unknown(-9223372036854775808)', 'any bigint is named, never an error');
select is(uns_meta.spb_datatype_name(null), null, 'NULL -> NULL');

set local role uns_meta_ro;
select is(uns_meta.spb_datatype_name(12), 'String', 'uns_meta_ro can call spb_datatype_name()');
reset role;

select * from finish();
rollback;
