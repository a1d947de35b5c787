-- Deploy uns_meta:functions/ingest_birth__decode_properties to pg
-- requires: functions/decode_property_value functions/property_key
begin;

-- Step 7 of ingest_birth: decodes into uns_meta_stage_props the properties (from p_metrics, payload.metrics) of the
-- staged metrics that are not rejected and are new or whose property JSON changed (all of them on a first birth),
-- nested PropertySet members included; refuses the birth for a malformed property (U0001). Returns the number of
-- top-level property rows decoded.
create function uns_meta.ingest_birth__decode_properties(p_metrics jsonb)
  returns integer
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_bad record;
  v_n   integer;
begin
  -- Nearly every value is common (uns_meta.property_value_fields_are_common): those are decoded right here from
  -- jsonb_to_recordset's columns (one pass per metric). The others are marked `general` and get
  -- uns_meta.decode_property_value below, which gives the same result for the common ones too (pgTAP compares
  -- them). A values element that is not an object makes jsonb_to_recordset fail: then everything takes the
  -- general path, which names the offender.
  begin
    insert into uns_meta_stage_props (ord, idx, key, key_path, general, spb_type, is_null, type, value_int, value_float,
                                      value_double, value_string, value_bool, problem)
    select f.ord, f.idx, f.key #>> '{}', null, not f.common,
           case when f.common then f.t::bigint end,
           case when f.common then false end,
           case when f.common then (case f.t when '3' then 'int' when '9' then 'float' when '10' then 'double'
                                             when '11' then 'boolean' else 'string' end)::uns_meta.spb_property_type end,
           case when f.common and f.t = '3' then (((f.iv::bigint & 4294967295) # 2147483648) - 2147483648)::integer end,
           case when f.common and f.t = '9' then (f.fv #>> '{}')::real end,
           case when f.common and f.t = '10' then (f.dv #>> '{}')::double precision end,
           case when f.common and f.t in ('12', '14') then f.sv #>> '{}' end,
           case when f.common and f.t = '11' then f.bv::boolean end,
           case when jsonb_typeof(f.key) <> 'string' then 'the key is not a string'
                when f.key #>> '{}' = '' then 'the key is empty' end
      from (select s.ord, k.i - 1 as idx, k.key, k.t, k.iv, k.fv, k.dv, k.bv, k.sv,
                   uns_meta.property_value_fields_are_common(k.t, k.iv, k.fv, k.dv, k.bv, k.sv, k.isn) as common
              from uns_meta_stage_metrics as s
             cross join lateral rows from (
                    jsonb_array_elements(p_metrics -> s.ord -> 'properties' -> 'keys'),
                    jsonb_to_recordset(p_metrics -> s.ord -> 'properties' -> 'values')
                      as (type text, "intValue" text, "floatValue" jsonb, "doubleValue" jsonb, "booleanValue" jsonb,
                          "stringValue" jsonb, "isNull" text)
                  ) with ordinality as k(key, t, iv, fv, dv, bv, sv, isn, i)
             where s.reject_reason is null and (s.metric_id is null or s.props_hash is distinct from s.old_props_hash)
            offset 0) as f;
    get diagnostics v_n = row_count;
  exception when invalid_parameter_value then
      insert into uns_meta_stage_props (ord, idx, key, key_path, spb_type, is_null, type, value_int, value_long, value_uint64,
                                        value_float, value_double, value_string, value_bool, value_datetime, problem)
      select s.ord, k.i - 1, k.key #>> '{}', null,
             d.spb_type, d.is_null, d.type, d.value_int, d.value_long, d.value_uint64, d.value_float, d.value_double,
             d.value_string, d.value_bool, d.value_datetime,
             case when jsonb_typeof(k.key) <> 'string' then 'the key is not a string'
                  when k.key #>> '{}' = '' then 'the key is empty'
                  else d.problem end
        from uns_meta_stage_metrics as s
       cross join lateral rows from (jsonb_array_elements(p_metrics -> s.ord -> 'properties' -> 'keys'),
                                     jsonb_array_elements(p_metrics -> s.ord -> 'properties' -> 'values')) with ordinality as k(key, pv, i)
       cross join lateral uns_meta.decode_property_value(k.pv) as d
       where s.reject_reason is null and (s.metric_id is null or s.props_hash is distinct from s.old_props_hash);
    get diagnostics v_n = row_count;
  end;
  update uns_meta_stage_props as p
     set (spb_type, is_null, type, value_int, value_long, value_uint64, value_float, value_double, value_string, value_bool,
          value_datetime, problem)
       = (select d.spb_type, d.is_null, d.type, d.value_int, d.value_long, d.value_uint64, d.value_float, d.value_double,
                 d.value_string, d.value_bool, d.value_datetime, coalesce(p.problem, d.problem)
            -- pv is computed a level below: as an argument of the inlined function, the expression (and with it the
            -- birth, a constant in a custom plan) would be copied into each of its dozens of uses in the plan.
            from (select p_metrics -> p.ord -> 'properties' -> 'values' -> p.idx as pv offset 0) as x
           cross join lateral uns_meta.decode_property_value(x.pv) as d)
   where p.general;
  -- Members of nested PropertySet / PropertySetList values (rare): walked from their top-level rows.
  if exists (select from uns_meta_stage_props where spb_type in (20, 21) and is_null is not true) then
    insert into uns_meta_stage_props (ord, key, key_path, spb_type, is_null, type, value_int, value_long, value_uint64,
                                      value_float, value_double, value_string, value_bool, value_datetime, problem)
    with recursive node (ord, key_path, pv, key_ok) as (
      select p.ord, array[p.key], p_metrics -> p.ord -> 'properties' -> 'values' -> p.idx, true
        from uns_meta_stage_props as p
       where p.spb_type in (20, 21) and p.is_null is not true
      union all
      select n.ord, n.key_path || c.key, c.pv, c.key_ok
        from node as n
       cross join lateral (
         select k.key #>> '{}', k.pv, jsonb_typeof(k.key) = 'string'
           from rows from (jsonb_array_elements(uns_meta.jsonb_array_or_empty(n.pv -> 'propertysetValue' -> 'keys')),
                           jsonb_array_elements(uns_meta.jsonb_array_or_empty(n.pv -> 'propertysetValue' -> 'values'))) as k(key, pv)
          where n.pv ->> 'type' = '20'
         union all
         select (l.i - 1)::text, jsonb_build_object('type', 20, 'propertysetValue', l.ps), true
           from jsonb_array_elements(uns_meta.jsonb_array_or_empty(n.pv -> 'propertysetsValue' -> 'propertyset')) with ordinality as l(ps, i)
          where n.pv ->> 'type' = '21'
       ) as c(key, pv, key_ok)
       where n.pv ->> 'type' in ('20', '21') and n.pv ->> 'isNull' is distinct from 'true'
    )
    select n.ord, uns_meta.property_key(n.key_path), n.key_path,
           d.spb_type, d.is_null, d.type, d.value_int, d.value_long, d.value_uint64, d.value_float, d.value_double,
           d.value_string, d.value_bool, d.value_datetime,
           case when not n.key_ok then 'the key is not a string'
                when n.key_path[cardinality(n.key_path)] = '' then 'the key is empty'
                else d.problem end
      from node as n
     cross join lateral uns_meta.decode_property_value(n.pv) as d
     where cardinality(n.key_path) > 1;
  end if;
  if v_n > 1000 then
    analyze uns_meta_stage_props;
  end if;

  -- A key is part of the primary key of metric_properties, whose index rows cannot exceed ~2.7 kB.
  update uns_meta_stage_props
     set problem = format('the key is %s bytes long; keys over 1024 bytes (UTF-8) are refused', octet_length(key)),
         key = left(key, 40) || '…'
   where problem is null and octet_length(key) > 1024;
  select s.ord, s.name, p.key, p.problem into v_bad
    from uns_meta_stage_props as p join uns_meta_stage_metrics as s using (ord)
   where p.problem is not null
   order by s.ord, p.key
   limit 1;
  if found then
    raise exception using errcode = 'U0001',
      message = format('ingest_birth: payload.metrics[%s] (%s): property %s: %s', v_bad.ord, v_bad.name, v_bad.key, v_bad.problem);
  end if;
  return v_n;
end
$$;
comment on function uns_meta.ingest_birth__decode_properties(jsonb) is
  'ingest_birth step 7: decodes the properties of the staged metrics that are new or whose property JSON changed into uns_meta_stage_props (U0001 for a malformed property); returns the number of top-level rows.';
revoke all on function uns_meta.ingest_birth__decode_properties(jsonb) from public;
grant execute on function uns_meta.ingest_birth__decode_properties(jsonb) to uns_meta_app;

commit;
