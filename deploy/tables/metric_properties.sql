-- Deploy uns_meta:tables/metric_properties to pg
-- requires: tables/metrics types/spb_property_type functions/property_key
begin;

create table uns_meta.metric_properties (
  metric_id      bigint not null,  -- references uns_meta.metrics: enforced per statement by the triggers below
  key            text not null,
  key_path       text[],
  type           uns_meta.spb_property_type not null,
  spb_type       bigint not null,
  is_null        boolean not null default false,
  value_int      integer,
  value_long     bigint,
  value_uint64   numeric(20, 0),
  value_float    real,
  value_double   double precision,
  value_string   text,
  value_bool     boolean,
  value_datetime timestamptz,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  constraint metric_properties_pkey primary key (metric_id, key),
  constraint chk_metric_properties_key check (key <> ''),
  -- A nested key path is a one-dimensional, 1-based array of at least two non-NULL segments whose flat key is
  -- `key`. CASE fixes the evaluation order (array_position rejects multidimensional arrays) and turns the NULL
  -- that property_key() or the comparison would yield into a violation instead of a silent pass.
  constraint chk_metric_properties_key_path check (
    key_path is null or case
      when array_ndims(key_path) <> 1 or array_lower(key_path, 1) <> 1 or cardinality(key_path) < 2 then false
      when array_position(key_path, null) is not null then false
      else coalesce(key = uns_meta.property_key(key_path), false)
    end),
  constraint chk_metric_properties_spb_type check (spb_type between 0 and 4294967295),
  constraint chk_metric_properties_uint64 check (value_uint64 between 0 and 18446744073709551615),
  -- Exactly the one typed column that `type` names holds the value; explicit nulls (is_null) and the
  -- markers of nested sets hold none.
  constraint chk_metric_properties_type_value check (
    case
      when is_null or type in ('propertyset', 'propertysetlist') then
        num_nonnulls(value_int, value_long, value_uint64, value_float, value_double, value_string, value_bool,
                     value_datetime) = 0
      else
        num_nonnulls(value_int, value_long, value_uint64, value_float, value_double, value_string, value_bool,
                     value_datetime) = 1
        and case type
              when 'int' then value_int is not null
              when 'long' then value_long is not null
              when 'uint64' then value_uint64 is not null
              when 'float' then value_float is not null
              when 'double' then value_double is not null
              when 'string' then value_string is not null
              when 'boolean' then value_bool is not null
              when 'datetime' then value_datetime is not null
            end
    end)
);
comment on table uns_meta.metric_properties is
  'Typed properties of each metric, one row per key, stored losslessly: the typed value_* column named by `type` holds the value, spb_type keeps the Sparkplug type code. Nested PropertySet / PropertySetList values are flattened to key paths.';
comment on column uns_meta.metric_properties.metric_id is 'The metric the property belongs to.';
comment on column uns_meta.metric_properties.key is
  'Property key. Top-level keys exactly as received; nested members as <key>/<member>, list items as <key>/<index>, nested segments escaped as JSON Pointer (~0 for ~, ~1 for /).';
comment on column uns_meta.metric_properties.key_path is
  'NULL for a top-level property; for a nested one the unescaped path {top key, member or index, ...} (key = uns_meta.property_key(key_path)).';
comment on column uns_meta.metric_properties.type is 'Storage class: which value_* column holds the value (propertyset / propertysetlist rows are markers with no value).';
comment on column uns_meta.metric_properties.spb_type is 'Sparkplug PropertyValue type code as received (e.g. 3 Int32, 8 UInt64, 14 Text); uns_meta.spb_datatype_name() names it.';
comment on column uns_meta.metric_properties.is_null is 'True when the birth sent an explicit null (PropertyValue.is_null); then no value_* column is set.';
comment on column uns_meta.metric_properties.value_int is 'Int8, Int16, Int32 (sign-extended from their width), UInt8, UInt16.';
comment on column uns_meta.metric_properties.value_long is 'Int64 and UInt32.';
comment on column uns_meta.metric_properties.value_uint64 is 'UInt64, exact, 0 .. 18446744073709551615.';
comment on column uns_meta.metric_properties.value_float is 'Float (IEEE 754 single precision, exact).';
comment on column uns_meta.metric_properties.value_double is 'Double.';
comment on column uns_meta.metric_properties.value_string is 'String, Text and UUID.';
comment on column uns_meta.metric_properties.value_bool is 'Boolean.';
comment on column uns_meta.metric_properties.value_datetime is 'DateTime (Sparkplug: milliseconds since the Unix epoch, UTC).';
comment on column uns_meta.metric_properties.created_at is 'When the property was first written for this metric (immutable).';
comment on column uns_meta.metric_properties.updated_at is 'When its value or type last changed (not touched by identical re-births).';

create trigger _100_timestamps before update on uns_meta.metric_properties
  for each row execute function uns_meta.tg__timestamps();

-- metric_id references uns_meta.metrics (ON DELETE CASCADE), enforced once per statement rather than by a
-- FOREIGN KEY, whose per-row check cost a first birth of 826,880 properties seconds (docs/schema.md). The same
-- guarantees: a property needs its metric (SQLSTATE 23503), the metric is locked FOR KEY SHARE until the
-- writer's commit so a concurrent delete waits, deleting or truncating metrics takes their properties along, and a
-- metric_id cannot change under its properties.
create function uns_meta.tg_metric_properties__metric_exists() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_ids     bigint[];
  v_missing bigint;
begin
  -- The metrics the statement's rows refer to (for an update, only metric_ids new to the updated rows).
  if tg_op = 'INSERT' then
    select array_agg(distinct n.metric_id) into v_ids from new_rows as n;
  else
    select array_agg(distinct n.metric_id) into v_ids
      from new_rows as n
     where not exists (select from old_rows as o where o.metric_id = n.metric_id);
  end if;
  if v_ids is null then
    return null;
  end if;
  perform from uns_meta.metrics as m where m.metric_id = any (v_ids) for key share of m;
  select r.metric_id into v_missing
    from unnest(v_ids) as r(metric_id)
   where not exists (select from uns_meta.metrics as m where m.metric_id = r.metric_id)
   limit 1;
  if found then
    raise exception using errcode = 'foreign_key_violation',
      message = format('%s on table "metric_properties": metric_id %s is not in uns_meta.metrics', lower(tg_op), v_missing),
      hint = 'Insert the metric first (uns_meta.ingest_birth does both in one transaction).';
  end if;
  return null;
end
$$;
comment on function uns_meta.tg_metric_properties__metric_exists() is
  'metric_properties.metric_id must name a metric (23503); locks the metrics FOR KEY SHARE, once per statement.';

create trigger _200_metric_exists_insert after insert on uns_meta.metric_properties
  referencing new table as new_rows
  for each statement execute function uns_meta.tg_metric_properties__metric_exists();
create trigger _200_metric_exists_update after update on uns_meta.metric_properties
  referencing old table as old_rows new table as new_rows
  for each statement execute function uns_meta.tg_metric_properties__metric_exists();

create function uns_meta.tg_metrics__delete_properties() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as $$
begin
  if tg_op = 'TRUNCATE' then
    -- DELETE, not TRUNCATE: the same statement may be truncating metric_properties too, which TRUNCATE refuses.
    delete from uns_meta.metric_properties;
  else
    delete from uns_meta.metric_properties as p where p.metric_id in (select o.metric_id from old_rows as o);
  end if;
  return null;
end
$$;
comment on function uns_meta.tg_metrics__delete_properties() is
  'Deleting (or truncating) metrics deletes their properties: metric_properties'' ON DELETE CASCADE.';

create trigger _200_delete_properties after delete on uns_meta.metrics
  referencing old table as old_rows
  for each statement execute function uns_meta.tg_metrics__delete_properties();
create trigger _200_truncate_properties after truncate on uns_meta.metrics
  for each statement execute function uns_meta.tg_metrics__delete_properties();

create function uns_meta.tg_metrics__metric_id_immutable() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  raise exception using errcode = 'foreign_key_violation',
    message = format('update on table "metrics": metric_id %s cannot change (metric_properties, versions and lineage refer to it)', old.metric_id);
end
$$;
comment on function uns_meta.tg_metrics__metric_id_immutable() is 'metrics.metric_id never changes (it is the identity others refer to).';

create trigger _200_metric_id_immutable before update of metric_id on uns_meta.metrics
  for each row when (old.metric_id is distinct from new.metric_id)
  execute function uns_meta.tg_metrics__metric_id_immutable();

grant select, insert, update, delete on uns_meta.metric_properties to uns_meta_app;
grant select on uns_meta.metric_properties to uns_meta_ro, uns_meta_cdc;

commit;
