-- Verify uns_meta:tables/metric_properties on pg
begin;
select metric_id, key, key_path, type, spb_type, is_null, value_int, value_long, value_uint64, value_float,
       value_double, value_string, value_bool, value_datetime, created_at, updated_at
  from uns_meta.metric_properties where false;
select 1 / count(*) from pg_constraint
 where conrelid = 'uns_meta.metric_properties'::regclass and conname = 'chk_metric_properties_type_value';
select 1 / count(*) from pg_trigger
 where tgrelid = 'uns_meta.metric_properties'::regclass and tgname = '_200_metric_exists_insert';
select 1 / count(*) from pg_trigger where tgrelid = 'uns_meta.metrics'::regclass and tgname = '_200_delete_properties';
rollback;
