-- Deploy uns_meta:functions/metric_history to pg
-- requires: tables/metric_versions tables/metric_properties functions/decode_property_value
begin;

-- The history of a metric is not stored as snapshots: metric_versions holds what each version changed (property
-- added / removed / changed with old and new typed values, and old/new of datatype, uns_path, alias, flags and
-- retired_at), and the functions below reconstruct any earlier state from the current rows by undoing the diffs
-- of the versions after it. None of them is SECURITY DEFINER or sets search_path (every name is qualified), so
-- the planner inlines them into the caller's query. Nothing is iterated: the value of a property (or field) after version v is the `old`
-- side of the first later version that touched it, or the current value when none did. That holds only because
-- every change of metrics and metric_properties is versioned (ingest_birth, reapply_path_rules and, for any other
-- writer, the statement triggers of triggers/catalog_changes). docs/sql-api.md#metric-history.

-- Default storage class of a Sparkplug property type code, as uns_meta.decode_property_value assigns it; NULL for
-- codes it stores by the value field present (unknown codes).
create function uns_meta.spb_property_class(spb_type bigint) returns uns_meta.spb_property_type
  language sql immutable parallel safe
return case
  when spb_type in (1, 2, 3, 5, 6) then 'int'
  when spb_type in (4, 7) then 'long'
  when spb_type = 8 then 'uint64'
  when spb_type = 9 then 'float'
  when spb_type = 10 then 'double'
  when spb_type = 11 then 'boolean'
  when spb_type in (12, 14, 15) then 'string'
  when spb_type = 13 then 'datetime'
  when spb_type = 20 then 'propertyset'
  when spb_type = 21 then 'propertysetlist'
end::uns_meta.spb_property_type;
comment on function uns_meta.spb_property_class(bigint) is
  'The storage class (metric_properties.type) decode_property_value gives a Sparkplug type code; NULL for unknown codes.';

-- The inverse of uns_meta.spb_datatype_name: 'Int32' -> 3, 'Unknown' -> 0, 'Unknown(99)' -> 99.
create function uns_meta.spb_datatype_code(name text) returns bigint
  language sql immutable parallel safe
return coalesce(
  (select c from generate_series(0, 34) as c where uns_meta.spb_datatype_name(c) = name),
  (select m[1]::bigint from regexp_match(name, '^Unknown\(([0-9]{1,10})\)$') as m));
comment on function uns_meta.spb_datatype_code(text) is
  'The Sparkplug DataType code of a name uns_meta.spb_datatype_name gives (Unknown(<code>) included); NULL otherwise.';

-- A stored property as version diffs record it: uns_meta.property_json ({"type": "Int32", "value": -5}, ...) plus
-- what that cannot carry: "key_path" for a nested member and "class" when the storage class is not the one the
-- type implies (unknown type codes, rows a DBA wrote by hand). uns_meta.property_from_version_json reads it back
-- to exactly the stored row -- provided extra_float_digits >= 1 (PostgreSQL's default: Float and Double print
-- their shortest exact form). No SET clause here, so it inlines into the history functions; the writers of diffs
-- (ingest_birth, the catalog triggers) pin extra_float_digits = 1 themselves.
create function uns_meta.property_version_json(key_path text[], spb_type bigint, is_null boolean,
                                               type uns_meta.spb_property_type, value_int integer, value_long bigint,
                                               value_uint64 numeric, value_float real, value_double double precision,
                                               value_string text, value_bool boolean, value_datetime timestamptz)
  returns jsonb
  language sql stable parallel safe
as $$
  select uns_meta.property_json(spb_type, is_null, type, value_int, value_long, value_uint64, value_float, value_double,
                                value_string, value_bool, value_datetime)
         || case when key_path is not null then jsonb_build_object('key_path', to_jsonb(key_path)) else '{}' end
         || case when type is distinct from uns_meta.spb_property_class(spb_type) then jsonb_build_object('class', type)
                 else '{}' end
$$;
comment on function uns_meta.property_version_json(text[], bigint, boolean, uns_meta.spb_property_type, integer, bigint, numeric, real, double precision, text, boolean, timestamptz) is
  'A stored property as metric_versions.diff records it: property_json plus "key_path" (nested members) and "class" (a storage class the type does not imply).';

create function uns_meta.property_from_version_json(j jsonb)
  returns table (key_path text[], type uns_meta.spb_property_type, spb_type bigint, is_null boolean, value_int integer,
                 value_long bigint, value_uint64 numeric, value_float real, value_double double precision,
                 value_string text, value_bool boolean, value_datetime timestamptz)
  language sql immutable parallel safe
as $$
  select x.key_path, x.class, x.code, x.is_null,
         case when x.has_value and x.class = 'int' then (j ->> 'value')::integer end,
         case when x.has_value and x.class = 'long' then (j ->> 'value')::bigint end,
         case when x.has_value and x.class = 'uint64' then (j ->> 'value')::numeric end,
         case when x.has_value and x.class = 'float' then (j ->> 'value')::real end,
         case when x.has_value and x.class = 'double' then (j ->> 'value')::double precision end,
         case when x.has_value and x.class = 'string' then j ->> 'value' end,
         case when x.has_value and x.class = 'boolean' then (j ->> 'value')::boolean end,
         case when x.has_value and x.class = 'datetime' then (j ->> 'value')::timestamptz end
    from (select c.code, coalesce((j ->> 'is_null')::boolean, false) as is_null,
                 coalesce((j ->> 'class')::uns_meta.spb_property_type, uns_meta.spb_property_class(c.code)) as class,
                 case when jsonb_typeof(j -> 'key_path') = 'array'
                      then array(select jsonb_array_elements_text(j -> 'key_path')) end as key_path,
                 j ? 'value' as has_value
            from (select uns_meta.spb_datatype_code(j ->> 'type') as code) as c) as x
$$;
comment on function uns_meta.property_from_version_json(jsonb) is
  'Reads a property of metric_versions.diff back into the typed columns of metric_properties (the inverse of property_version_json).';

-- The metric's version number current at a time: the last version written at or before `at` (NULL: the metric
-- did not exist yet). changed_at is the writing transaction's start (now()).
create function uns_meta.metric_version_at(metric_id bigint, at timestamptz) returns integer
  language sql stable parallel safe
return (select max(v.version_no) from uns_meta.metric_versions as v
         where v.metric_id = metric_version_at.metric_id and v.changed_at <= metric_version_at.at);
comment on function uns_meta.metric_version_at(bigint, timestamptz) is
  'The version_no of the metric current at `at` (its last version written at or before it); NULL before its creation.';

-- The properties of a metric as they were right after its version `version_no`: rows shaped like
-- uns_meta.metric_properties. None when version_no is NULL or not a version of the metric.
create function uns_meta.metric_properties_at_version(metric_id bigint, version_no integer)
  returns table (metric_id bigint, key text, key_path text[], type uns_meta.spb_property_type, spb_type bigint,
                 is_null boolean, value_int integer, value_long bigint, value_uint64 numeric, value_float real,
                 value_double double precision, value_string text, value_bool boolean, value_datetime timestamptz)
  language sql stable parallel safe
as $$
  with v as (
    select m.metric_id, metric_properties_at_version.version_no as n
      from uns_meta.metrics as m
     where m.metric_id = metric_properties_at_version.metric_id
       and metric_properties_at_version.version_no between 1 and m.version
  ), later as (
    select mv.version_no, mv.diff -> 'properties' as p
      from uns_meta.metric_versions as mv join v on mv.metric_id = v.metric_id and mv.version_no > v.n
     where mv.diff ? 'properties'
  ), touched as (  -- per key, the first later version that touched it: its `old` side is the value after v
    select distinct on (t.key) t.key, t.existed, t.old
      from (select l.version_no, e.key, false as existed, null::jsonb as old
              from later as l cross join lateral jsonb_each(coalesce(l.p -> 'added', '{}')) as e
            union all
            select l.version_no, e.key, true, e.value
              from later as l cross join lateral jsonb_each(coalesce(l.p -> 'removed', '{}')) as e
            union all
            select l.version_no, e.key, true, e.value -> 'old'
              from later as l cross join lateral jsonb_each(coalesce(l.p -> 'changed', '{}')) as e) as t
     order by t.key, t.version_no
  )
  select p.metric_id, p.key, p.key_path, p.type, p.spb_type, p.is_null, p.value_int, p.value_long, p.value_uint64,
         p.value_float, p.value_double, p.value_string, p.value_bool, p.value_datetime
    from uns_meta.metric_properties as p join v using (metric_id)
   where not exists (select from touched as t where t.key = p.key)
  union all
  select v.metric_id, t.key, d.key_path, d.type, d.spb_type, d.is_null, d.value_int, d.value_long, d.value_uint64,
         d.value_float, d.value_double, d.value_string, d.value_bool, d.value_datetime
    from v cross join touched as t cross join lateral uns_meta.property_from_version_json(t.old) as d
   where t.existed
$$;
comment on function uns_meta.metric_properties_at_version(bigint, integer) is
  'The metric''s properties right after its version version_no, reconstructed from the current rows and the later diffs (rows shaped like metric_properties).';

create function uns_meta.metric_properties_as_of(metric_id bigint, at timestamptz)
  returns table (metric_id bigint, key text, key_path text[], type uns_meta.spb_property_type, spb_type bigint,
                 is_null boolean, value_int integer, value_long bigint, value_uint64 numeric, value_float real,
                 value_double double precision, value_string text, value_bool boolean, value_datetime timestamptz)
  language sql stable parallel safe
as $$
  select * from uns_meta.metric_properties_at_version(metric_properties_as_of.metric_id,
                                                      uns_meta.metric_version_at(metric_properties_as_of.metric_id,
                                                                                 metric_properties_as_of.at))
$$;
comment on function uns_meta.metric_properties_as_of(bigint, timestamptz) is
  'The metric''s properties as they were at `at` (rows shaped like metric_properties; none before the metric existed).';

-- The whole state of a metric right after one of its versions: the version row, the metric's fields then, and its
-- properties as one JSON object (key -> the typed JSON of metric_versions.diff).
create type uns_meta.metric_state as (
  metric_id      bigint,
  version_no     integer,
  change_kind    text,
  changed_at     timestamptz,
  changed_by     text,
  source         text,
  device_id      bigint,
  name           text,
  uns_path       text,
  datatype       bigint,
  alias          numeric,
  is_historical  boolean,
  is_transient   boolean,
  retired_at     timestamptz,
  properties     jsonb
);
comment on type uns_meta.metric_state is 'A metric as it was right after one of its versions (uns_meta.metric_state_at_version).';

-- The states of a set of metrics, each right after one version: one metric (metric_id) or a device's (device_id) or
-- all (both NULL); the version is version_no, or else the one current at `at`. Metrics without that version are
-- left out. One query for them all (the planner inlines it into the public functions below).
create function uns_meta.metric_states(metric_id bigint, device_id bigint, at timestamptz, version_no integer)
  returns setof uns_meta.metric_state
  language sql stable parallel safe
as $$
  with m as (
    select m.*, coalesce(metric_states.version_no,
                         (select max(v.version_no) from uns_meta.metric_versions as v
                           where v.metric_id = m.metric_id and v.changed_at <= metric_states.at)) as n
      from uns_meta.metrics as m
     where (metric_states.metric_id is null or m.metric_id = metric_states.metric_id)
       and (metric_states.device_id is null or m.device_id = metric_states.device_id)
  ), f as (  -- per metric and field, the `old` side of the first later version that changed it
    select distinct on (mv.metric_id, k.field) mv.metric_id, k.field, mv.diff -> k.field -> 'old' as old
      from m join uns_meta.metric_versions as mv on mv.metric_id = m.metric_id and mv.version_no > m.n
     cross join unnest(array['name', 'uns_path', 'datatype', 'alias', 'is_historical', 'is_transient', 'retired_at']) as k(field)
     where mv.diff ? k.field
     order by mv.metric_id, k.field, mv.version_no
  ), o as (
    select f.metric_id, jsonb_object_agg(f.field, f.old) as old from f group by f.metric_id
  )
  select m.metric_id, v.version_no, v.change_kind, v.changed_at, v.changed_by, v.source, m.device_id,
         case when o.old ? 'name' then o.old ->> 'name' else m.name end,
         case when o.old ? 'uns_path' then o.old ->> 'uns_path' else m.uns_path end,
         case when o.old ? 'datatype' then (o.old ->> 'datatype')::bigint else m.datatype end,
         case when o.old ? 'alias' then (o.old ->> 'alias')::numeric else m.alias end,
         case when o.old ? 'is_historical' then (o.old ->> 'is_historical')::boolean else m.is_historical end,
         case when o.old ? 'is_transient' then (o.old ->> 'is_transient')::boolean else m.is_transient end,
         case when o.old ? 'retired_at' then (o.old ->> 'retired_at')::timestamptz else m.retired_at end,
         (select coalesce(jsonb_object_agg(p.key, uns_meta.property_version_json(p.key_path, p.spb_type, p.is_null, p.type,
                   p.value_int, p.value_long, p.value_uint64, p.value_float, p.value_double, p.value_string, p.value_bool,
                   p.value_datetime) order by p.key), '{}')
            from uns_meta.metric_properties_at_version(m.metric_id, m.n) as p)
    from m
    join uns_meta.metric_versions as v on v.metric_id = m.metric_id and v.version_no = m.n
    left join o on o.metric_id = m.metric_id
$$;
comment on function uns_meta.metric_states(bigint, bigint, timestamptz, integer) is
  'The state of one metric, a device''s or all, right after version_no (or the version current at `at`); the core of metric_state_at_version and metric_states_as_of.';

create function uns_meta.metric_state_at_version(metric_id bigint, version_no integer) returns uns_meta.metric_state
  language sql stable parallel safe
as $$
  select s from uns_meta.metric_states(metric_state_at_version.metric_id, null, null, metric_state_at_version.version_no) as s
$$;
comment on function uns_meta.metric_state_at_version(bigint, integer) is
  'The metric right after its version version_no: fields, version row and properties (JSON object); NULL when there is no such version.';

-- Set-returning form: every metric of a device, or under a UNS path prefix (its path then), as it was at `at`.
create function uns_meta.metric_states_as_of(at timestamptz, device_id bigint default null, path_prefix text default null)
  returns setof uns_meta.metric_state
  language sql stable parallel safe
as $$
  select s.*
    from uns_meta.metric_states(null, metric_states_as_of.device_id, metric_states_as_of.at, null) as s
   where metric_states_as_of.path_prefix is null or s.uns_path = metric_states_as_of.path_prefix
      or starts_with(s.uns_path, metric_states_as_of.path_prefix || '/')
   order by s.metric_id
$$;
comment on function uns_meta.metric_states_as_of(timestamptz, bigint, text) is
  'Every metric (of a device, or whose UNS path then was under path_prefix) as it was at `at`, one uns_meta.metric_state each.';

-- Versions written before v0.5 name nested members by their flat key only and leave the storage class of unknown
-- type codes implicit, which property_from_version_json needs. This completes them where the catalog tells:
-- key_path from the metric's current row of that key, or else from the metric's top-level PropertySet /
-- PropertySetList marker the key extends (current rows or any of its diffs); the class from the current row of the
-- same type, or else from the JSON value (boolean, string, an integer as long, or uint64 beyond the bigint range).
-- Everything else of a version stays as written -- old full "created" versions included, which the history
-- functions read as they are. Idempotent (only entries without key_path and class are looked at); run at deploy, and
-- by a DBA after loading versions from an older dump. Returns the number of versions completed.
create function uns_meta.complete_version_diffs() returns integer
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_n integer;
begin
  with entry as (
    select v.version_id, v.metric_id, x.kind, x.key, x.j
      from uns_meta.metric_versions as v
     cross join lateral (
       select 'added' as kind, e.key, e.value as j
         from jsonb_each(case when jsonb_typeof(v.diff #> '{properties,added}') = 'object' then v.diff #> '{properties,added}' else '{}' end) as e
       union all
       select 'removed', e.key, e.value
         from jsonb_each(case when jsonb_typeof(v.diff #> '{properties,removed}') = 'object' then v.diff #> '{properties,removed}' else '{}' end) as e
       union all
       select c.kind, e.key, e.value -> c.kind
         from jsonb_each(case when jsonb_typeof(v.diff #> '{properties,changed}') = 'object' then v.diff #> '{properties,changed}' else '{}' end) as e
        cross join (values ('old'), ('new')) as c(kind)) as x
     where v.diff ? 'properties' and jsonb_typeof(x.j) = 'object' and not x.j ? 'key_path' and not x.j ? 'class'
  ), markers as (
    select p.metric_id, p.key from uns_meta.metric_properties as p
     where p.key_path is null and p.type in ('propertyset', 'propertysetlist')
    union
    select e.metric_id, e.key from entry as e where e.j ->> 'type' in ('PropertySet', 'PropertySetList')
  ), fix as (
    select e.version_id, e.kind, e.key,
           e.j || case when kp.path is not null then jsonb_build_object('key_path', kp.path) else '{}' end
               || case when cls.c is not null then jsonb_build_object('class', cls.c) else '{}' end as j
      from entry as e
      left join uns_meta.metric_properties as p on p.metric_id = e.metric_id and p.key = e.key
     cross join lateral (
       select case when p.key is not null then to_jsonb(p.key_path)
                   else (select to_jsonb(array[m.key] || array(select replace(replace(u.seg, '~1', '/'), '~0', '~')
                                                                 from unnest(string_to_array(substr(e.key, length(m.key) + 2), '/'))
                                                                      with ordinality as u(seg, i)
                                                                order by u.i))
                           from markers as m
                          where m.metric_id = e.metric_id and starts_with(e.key, m.key || '/')
                          order by length(m.key) limit 1)
              end as path) as kp
     cross join lateral (
       select case when uns_meta.spb_property_class(uns_meta.spb_datatype_code(e.j ->> 'type')) is not null then null
                   when p.key is not null and p.spb_type = uns_meta.spb_datatype_code(e.j ->> 'type') then p.type::text
                   else case jsonb_typeof(e.j -> 'value')
                          when 'boolean' then 'boolean'
                          when 'number' then case when (e.j ->> 'value')::numeric between -9223372036854775808 and 9223372036854775807
                                                  then 'long' else 'uint64' end
                          else 'string' end
              end as c) as cls
     where jsonb_typeof(kp.path) = 'array' or cls.c is not null
  ), per_key as (  -- a changed key's old and new side together
    select f.version_id, f.part, f.key,
           case when f.part = 'changed' then jsonb_object_agg(f.kind, f.j) else jsonb_agg(f.j) -> 0 end as j
      from (select x.*, case when x.kind in ('old', 'new') then 'changed' else x.kind end as part from fix as x) as f
     group by f.version_id, f.part, f.key
  ), per_part as (
    select k.version_id, k.part, jsonb_object_agg(k.key, k.j) as fixes from per_key as k group by k.version_id, k.part
  ), new_props as (
    select v.version_id,
           (v.diff -> 'properties')
           || (select jsonb_object_agg(pp.part,
                        case when pp.part = 'changed'
                             then (select jsonb_object_agg(e.key, e.value || coalesce(pp.fixes -> e.key, '{}'))
                                     from jsonb_each(v.diff #> '{properties,changed}') as e)
                             else (v.diff #> array['properties', pp.part]) || pp.fixes end)
                 from per_part as pp where pp.version_id = v.version_id) as props
      from uns_meta.metric_versions as v
     where v.version_id in (select version_id from per_part)
  )
  update uns_meta.metric_versions as v set diff = jsonb_set(v.diff, '{properties}', n.props)
    from new_props as n
   where n.version_id = v.version_id;
  get diagnostics v_n = row_count;
  return v_n;
end
$$;
comment on function uns_meta.complete_version_diffs() is
  'Adds key_path and class to property values of versions written before v0.5 where the catalog tells (idempotent; DBA). Returns the number of versions completed.';
revoke all on function uns_meta.complete_version_diffs() from public;

select uns_meta.complete_version_diffs();

comment on column uns_meta.metric_versions.diff is
  'What changed (JSON object): added / removed / changed properties with old and new typed values (uns_meta.property_version_json), and old/new of datatype, uns_path, alias, flags, retired_at. A created version names the creation without repeating the properties (before v0.5 it listed them all). uns_meta.metric_properties_as_of and metric_state_at_version rebuild any earlier state. See docs/sql-api.md.';

revoke all on function uns_meta.spb_property_class(bigint), uns_meta.spb_datatype_code(text),
  uns_meta.property_version_json(text[], bigint, boolean, uns_meta.spb_property_type, integer, bigint, numeric, real, double precision, text, boolean, timestamptz),
  uns_meta.property_from_version_json(jsonb), uns_meta.metric_version_at(bigint, timestamptz),
  uns_meta.metric_properties_at_version(bigint, integer), uns_meta.metric_properties_as_of(bigint, timestamptz),
  uns_meta.metric_states(bigint, bigint, timestamptz, integer), uns_meta.metric_state_at_version(bigint, integer), uns_meta.metric_states_as_of(timestamptz, bigint, text) from public;
grant execute on function uns_meta.spb_property_class(bigint), uns_meta.spb_datatype_code(text),
  uns_meta.property_version_json(text[], bigint, boolean, uns_meta.spb_property_type, integer, bigint, numeric, real, double precision, text, boolean, timestamptz),
  uns_meta.property_from_version_json(jsonb), uns_meta.metric_version_at(bigint, timestamptz),
  uns_meta.metric_properties_at_version(bigint, integer), uns_meta.metric_properties_as_of(bigint, timestamptz),
  uns_meta.metric_states(bigint, bigint, timestamptz, integer), uns_meta.metric_state_at_version(bigint, integer), uns_meta.metric_states_as_of(timestamptz, bigint, text)
  to uns_meta_app, uns_meta_ro;
grant usage on type uns_meta.metric_state to uns_meta_app, uns_meta_ro;

commit;
