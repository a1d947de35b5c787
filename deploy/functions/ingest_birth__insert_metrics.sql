-- Deploy uns_meta:functions/ingest_birth__insert_metrics to pg
-- requires: tables/metrics tables/metric_properties tables/metric_versions
begin;

-- Step 8 of ingest_birth: inserts the staged metrics that are new (no metric_id, not rejected) for device p_device_id,
-- marks them is_new in uns_meta_stage_metrics, and writes their properties (a key twice in one metric: U0001, named
-- by ingest_birth_raise_duplicate_key) and their first version (source p_source). Returns the counts of metrics,
-- properties and versions written.
create function uns_meta.ingest_birth__insert_metrics(p_device_id bigint, p_source text, out o_inserted integer, out o_properties integer, out o_versions integer)
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_n integer;
begin
  o_properties := 0;
  o_versions := 0;
  with ins as (
    insert into uns_meta.metrics (device_id, name, uns_path, datatype, alias, is_historical, is_transient, properties_hash)
    select p_device_id, name, uns_path, datatype, alias, is_historical, is_transient, props_hash
      from uns_meta_stage_metrics
     where metric_id is null and reject_reason is null
     order by uns_path  -- metric_ids in path order: the unique indexes on name, uns_path, canary_id grow at the right
    returning metric_id, name
  )
  update uns_meta_stage_metrics as s set metric_id = ins.metric_id, is_new = true
    from ins
   where s.name = ins.name and s.reject_reason is null;
  get diagnostics o_inserted = row_count;
  if o_inserted > 1000 then
    analyze uns_meta_stage_metrics;  -- is_new and metric_id changed for many rows: let the planner know
  end if;

  if o_inserted > 0 then
    -- A key twice in one metric's properties: the primary key refuses it, and the handler names it.
    begin
      insert into uns_meta.metric_properties (metric_id, key, key_path, type, spb_type, is_null, value_int, value_long,
                                              value_uint64, value_float, value_double, value_string, value_bool, value_datetime)
      select s.metric_id, p.key, p.key_path, p.type, p.spb_type, p.is_null, p.value_int, p.value_long, p.value_uint64,
             p.value_float, p.value_double, p.value_string, p.value_bool, p.value_datetime
        from uns_meta_stage_props as p join uns_meta_stage_metrics as s using (ord)
       where s.is_new
       order by s.metric_id, p.key;  -- in index order: the primary key index grows at its right edge
      get diagnostics v_n = row_count;
    exception when unique_violation then
      perform uns_meta.ingest_birth_raise_duplicate_key(true);
      raise;
    end;
    o_properties := o_properties + v_n;

    -- The first version names the creation and the metric's fields; its properties are not repeated (they are the
    -- metric_properties rows until a later version changes them: uns_meta.metric_properties_as_of reconstructs them).
    insert into uns_meta.metric_versions (metric_id, version_no, change_kind, source, diff)
    select s.metric_id, 1, 'created', p_source,
           jsonb_build_object('datatype', jsonb_build_object('new', s.datatype), 'uns_path', jsonb_build_object('new', s.uns_path))
           || case when s.alias is not null then jsonb_build_object('alias', jsonb_build_object('new', s.alias)) else '{}' end
           || case when s.is_historical then '{"is_historical": {"new": true}}'::jsonb else '{}' end
           || case when s.is_transient then '{"is_transient": {"new": true}}'::jsonb else '{}' end
      from uns_meta_stage_metrics as s
     where s.is_new
     order by s.metric_id;
    get diagnostics v_n = row_count;
    o_versions := o_versions + v_n;
  end if;
end
$$;
comment on function uns_meta.ingest_birth__insert_metrics(bigint, text) is
  'ingest_birth step 8: inserts the new staged metrics with their properties and a created version; returns the counts of metrics, properties and versions written.';
revoke all on function uns_meta.ingest_birth__insert_metrics(bigint, text) from public;
grant execute on function uns_meta.ingest_birth__insert_metrics(bigint, text) to uns_meta_app;

commit;
