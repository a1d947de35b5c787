-- Deploy uns_meta:functions/ingest_birth__apply_property_changes to pg
-- requires: functions/metric_history tables/metric_properties
begin;

-- Step 9 of ingest_birth: for the existing staged metrics whose property JSON changed, diffs the decoded properties
-- (uns_meta_stage_props) against metric_properties into uns_meta_stage_prop_changes (added / changed / removed, old
-- and new typed JSON), applies exactly those changes to metric_properties, and marks in uns_meta_stage_metrics which
-- metrics changed (props_changed, and changed for any field that differs or a revival). A key twice: U0001.
-- Returns the number of property rows written.
create function uns_meta.ingest_birth__apply_property_changes()
  returns integer
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_n       integer;
  v_written integer := 0;
begin
  perform uns_meta.ingest_birth_raise_duplicate_key(false);
  insert into uns_meta_stage_prop_changes (metric_id, ord, key, change, old_json, new_json)
  select coalesce(n.metric_id, o.metric_id), n.ord, coalesce(n.key, o.key),
         case when o.key is null then 'added' when n.key is null then 'removed' else 'changed' end,
         case when o.key is not null then uns_meta.property_version_json(o.key_path, o.spb_type, o.is_null, o.type, o.value_int,
                o.value_long, o.value_uint64, o.value_float, o.value_double, o.value_string, o.value_bool, o.value_datetime) end,
         case when n.key is not null then uns_meta.property_version_json(n.key_path, n.spb_type, n.is_null, n.type, n.value_int,
                n.value_long, n.value_uint64, n.value_float, n.value_double, n.value_string, n.value_bool, n.value_datetime) end
    from (select s.metric_id, p.*
            from uns_meta_stage_props as p join uns_meta_stage_metrics as s using (ord)
           where not s.is_new) as n
    full join (select o.*
                 from uns_meta.metric_properties as o
                where o.metric_id in (select metric_id from uns_meta_stage_metrics
                                       where not is_new and reject_reason is null
                                         and props_hash is distinct from old_props_hash)) as o
      on o.metric_id = n.metric_id and o.key = n.key
   where o.key is null or n.key is null
      or (n.type, n.spb_type, n.is_null, n.key_path, n.value_int, n.value_long, n.value_uint64, n.value_float,
          n.value_double, n.value_string, n.value_bool, n.value_datetime)
         is distinct from
         (o.type, o.spb_type, o.is_null, o.key_path, o.value_int, o.value_long, o.value_uint64, o.value_float,
          o.value_double, o.value_string, o.value_bool, o.value_datetime);

  delete from uns_meta.metric_properties as o
   using uns_meta_stage_prop_changes as c
   where c.change = 'removed' and o.metric_id = c.metric_id and o.key = c.key;
  get diagnostics v_n = row_count;
  v_written := v_written + v_n;
  update uns_meta.metric_properties as o
     set key_path = p.key_path, type = p.type, spb_type = p.spb_type, is_null = p.is_null, value_int = p.value_int,
         value_long = p.value_long, value_uint64 = p.value_uint64, value_float = p.value_float,
         value_double = p.value_double, value_string = p.value_string, value_bool = p.value_bool,
         value_datetime = p.value_datetime
    from uns_meta_stage_prop_changes as c
    join uns_meta_stage_props as p on p.ord = c.ord and p.key = c.key
   where c.change = 'changed' and o.metric_id = c.metric_id and o.key = c.key;
  get diagnostics v_n = row_count;
  v_written := v_written + v_n;
  insert into uns_meta.metric_properties (metric_id, key, key_path, type, spb_type, is_null, value_int, value_long,
                                          value_uint64, value_float, value_double, value_string, value_bool, value_datetime)
  select c.metric_id, p.key, p.key_path, p.type, p.spb_type, p.is_null, p.value_int, p.value_long, p.value_uint64,
         p.value_float, p.value_double, p.value_string, p.value_bool, p.value_datetime
    from uns_meta_stage_prop_changes as c
    join uns_meta_stage_props as p on p.ord = c.ord and p.key = c.key
   where c.change = 'added';
  get diagnostics v_n = row_count;
  v_written := v_written + v_n;

  update uns_meta_stage_metrics as s set props_changed = true, changed = true
   where exists (select from uns_meta_stage_prop_changes as c where c.metric_id = s.metric_id);
  update uns_meta_stage_metrics as s set changed = true
   where not s.changed and not s.is_new and s.reject_reason is null and s.metric_id is not null
     and (s.datatype <> s.old_datatype or s.uns_path <> s.old_uns_path or s.alias is distinct from s.old_alias
          or s.is_historical <> s.old_is_historical or s.is_transient <> s.old_is_transient
          or s.old_retired_at is not null);
  return v_written;
end
$$;
comment on function uns_meta.ingest_birth__apply_property_changes() is
  'ingest_birth step 9: diffs the changed properties of existing staged metrics, applies the differences to metric_properties, marks which metrics changed; returns the number of property rows written.';
revoke all on function uns_meta.ingest_birth__apply_property_changes() from public;
grant execute on function uns_meta.ingest_birth__apply_property_changes() to uns_meta_app;

commit;
