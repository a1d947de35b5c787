-- Deploy uns_meta:functions/decode_property_value to pg
-- requires: types/spb_property_type functions/spb_datatype_name
begin;

-- True when j is a JSON number or string holding an integer in [min_value, max_value]. Protobuf JSON writes
-- 64-bit integers as strings and 32-bit ones as numbers; both are accepted everywhere.
create function uns_meta.jsonb_is_integer(j jsonb, min_value numeric, max_value numeric) returns boolean
  language sql immutable parallel safe
as $$
  select coalesce(jsonb_typeof(j) in ('number', 'string')
                  and (j #>> '{}') ~ '^-?[0-9]{1,20}$'
                  and (j #>> '{}')::numeric between min_value and max_value, false)
$$;
comment on function uns_meta.jsonb_is_integer(jsonb, numeric, numeric) is
  'True when a JSON number or string holds an integer within [min_value, max_value].';

-- j when it is a JSON array, else []: lets malformed nested sets (reported by decode_property_value) be walked safely.
create function uns_meta.jsonb_array_or_empty(j jsonb) returns jsonb
  language sql immutable parallel safe
as $$
  select case when jsonb_typeof(j) = 'array' then j else '[]'::jsonb end
$$;
comment on function uns_meta.jsonb_array_or_empty(jsonb) is 'j when it is a JSON array, otherwise an empty array.';

-- True for the PropertyValues that make up nearly every real birth, given their fields: a non-null Int32 in
-- intValue (a uint32), a Float, Double, Boolean, String or Text. decode_property_value takes a short path for
-- these (a few casts), and so does ingest_birth, which reads the fields of a whole birth with jsonb_to_recordset;
-- the general path gives the same result for them. `type`, `isNull` and `intValue` come as text, which is all that
-- matters of them (the general path accepts a JSON number or string alike); the others as jsonb, whose JSON type
-- must be checked.
create function uns_meta.property_value_fields_are_common(type text, int_value text, float_value jsonb, double_value jsonb,
                                                          boolean_value jsonb, string_value jsonb, is_null text)
  returns boolean
  language sql immutable parallel safe
as $$
  select coalesce((is_null is null or is_null = 'false') and case type
    when '3' then int_value ~ '^[0-9]{1,10}$' and int_value::bigint <= 4294967295
    when '9' then jsonb_typeof(float_value) = 'number'
                  and (float_value::numeric = 0 or abs(float_value::numeric) between 1.2e-38 and 3.4028235e38)
    when '10' then jsonb_typeof(double_value) = 'number'
                   and (double_value::numeric = 0 or abs(double_value::numeric) between 2.3e-308 and 1.7976931348623157e308)
    when '11' then jsonb_typeof(boolean_value) = 'boolean'
    when '12' then jsonb_typeof(string_value) = 'string'
    when '14' then jsonb_typeof(string_value) = 'string'
  end, false)
$$;
comment on function uns_meta.property_value_fields_are_common(text, text, jsonb, jsonb, jsonb, jsonb, text) is
  'True for a non-null Int32 (intValue), Float, Double, Boolean, String or Text PropertyValue, given its fields: the short path of decode_property_value and ingest_birth.';

-- The same test on a PropertyValue as JSON.
create function uns_meta.property_value_is_common(pv jsonb) returns boolean
  language sql immutable parallel safe
as $$
  select uns_meta.property_value_fields_are_common(pv ->> 'type', pv ->> 'intValue', pv -> 'floatValue', pv -> 'doubleValue',
                                                   pv -> 'booleanValue', pv -> 'stringValue', pv ->> 'isNull')
$$;
comment on function uns_meta.property_value_is_common(jsonb) is
  'True for a non-null Int32 (intValue), Float, Double, Boolean, String or Text PropertyValue: decode_property_value''s short path.';

-- One Sparkplug PropertyValue (canonical protobuf JSON, e.g. {"type": 3, "intValue": 2147484164}) decoded
-- into the typed storage of uns_meta.metric_properties, losslessly:
--   Int8/16/32: the uint32 int_value is truncated to the width, then sign-extended (2147484164 typed Int32
--               is -2147483132); a 64-bit sign-extended or negative encoding gives the same result.
--   UInt8/16 -> value_int; UInt32 from intValue or longValue -> value_long; Int64 (two's complement in the
--   uint64 long_value, or a signed string) -> value_long; UInt64 -> value_uint64 (exact to 2^64-1);
--   Float -> real, Double -> double precision (NaN and ±Infinity kept); String/Text/UUID -> value_string;
--   DateTime (ms since the epoch) -> value_datetime; isNull -> no value; PropertySet / PropertySetList ->
--   a marker (their members are decoded as their own rows by the caller).
--   An unknown type code keeps its code and is stored by the value field present (intValue -> long,
--   longValue -> uint64, floatValue, doubleValue, booleanValue, stringValue).
-- Exactly one row; `problem` says what is malformed (and the value columns are NULL) instead of raising,
-- so a caller decoding a whole birth can name the metric and key in its error.
create function uns_meta.decode_property_value(pv jsonb)
returns table (spb_type bigint, is_null boolean, type uns_meta.spb_property_type, value_int integer,
               value_long bigint, value_uint64 numeric, value_float real, value_double double precision,
               value_string text, value_bool boolean, value_datetime timestamptz, problem text)
  -- STABLE, not immutable: it uses format() and timestamptz arithmetic. Declared volatility must match the
  -- body, or the planner will not inline it -- and inlined it decodes a whole birth set-based.
  -- Each derived level ends in OFFSET 0 so the planner keeps it as a level instead of pasting its
  -- expressions into every reference above (which would evaluate the type CASE dozens of times per value).
  language sql stable parallel safe
as $$
-- Short path. Each cast has a cheap guard of its own as well as the WHERE: called with a constant argument,
-- the planner folds the casts before it looks at the WHERE, and a malformed value must still give `problem`.
select (pv ->> 'type')::bigint, false,
       (case pv ->> 'type' when '3' then 'int' when '9' then 'float' when '10' then 'double' when '11' then 'boolean'
                           else 'string' end)::uns_meta.spb_property_type,
       case when pv ->> 'type' = '3' and (pv ->> 'intValue') ~ '^[0-9]{1,10}$'
            then ((((pv ->> 'intValue')::bigint & 4294967295) # 2147483648) - 2147483648)::integer end,
       null::bigint, null::numeric,
       case when pv ->> 'type' = '9' and uns_meta.property_value_is_common(pv) then (pv ->> 'floatValue')::real end,
       case when pv ->> 'type' = '10' and uns_meta.property_value_is_common(pv) then (pv ->> 'doubleValue')::double precision end,
       case when pv ->> 'type' in ('12', '14') then pv ->> 'stringValue' end,
       case when pv ->> 'type' = '11' and jsonb_typeof(pv -> 'booleanValue') = 'boolean' then (pv -> 'booleanValue')::boolean end,
       null::timestamptz, null::text
 where uns_meta.property_value_is_common(pv)
union all
select c.spb_type, c.is_null, c.type,
       case when c.ok and c.type = 'int' then
         case c.spb_type
           when 1 then ((c.u32 & 255) # 128) - 128
           when 2 then ((c.u32 & 65535) # 32768) - 32768
           when 3 then ((c.u32 & 4294967295) # 2147483648) - 2147483648
           when 5 then c.u32 & 255
           when 6 then c.u32 & 65535
         end::integer
       end,
       case when c.ok and c.type = 'long' then
         case when c.num::numeric >= 9223372036854775808 then c.num::numeric - 18446744073709551616
              else c.num::numeric end::bigint
       end,
       case when c.ok and c.type = 'uint64' then c.num::numeric end,
       case when c.ok and c.type = 'float' then c.num::real end,
       case when c.ok and c.type = 'double' then c.num::double precision end,
       case when c.ok and c.type = 'string' then c.num end,
       case when c.ok and c.type = 'boolean' then c.num::boolean end,
       case when c.ok and c.type = 'datetime' then
         to_timestamp((c.num::bigint / 1000)::double precision) + (c.num::bigint % 1000) * interval '1 millisecond'
       end,
       c.problem
  from (
    select b.*, b.problem is null and not b.is_null and b.type not in ('propertyset', 'propertysetlist') as ok,
           case when b.problem is null and b.type = 'int' and not b.is_null
                then (((b.num::numeric % 4294967296) + 4294967296) % 4294967296)::bigint end as u32
      from (
        select a.*,
               case
                 when a.spb_type is null then '"type" is missing or not an integer 0..4294967295'
                 when a.null_flag is not null and a.null_flag not in ('true', 'false') then '"isNull" must be a boolean'
                 when a.is_null then null
                 when a.type is null then format('no value field for type %s', uns_meta.spb_datatype_name(a.spb_type))
                 when a.field is null or not (pv ? a.field) then
                   format('"%s" is missing for type %s', coalesce(a.field, 'value'), uns_meta.spb_datatype_name(a.spb_type))
                 when a.type = 'int' and not uns_meta.jsonb_is_integer(pv -> a.field, -9223372036854775808, 18446744073709551615) then
                   format('"%s" must be an integer', a.field)
                 when a.type = 'long' and a.spb_type = 7 and not uns_meta.jsonb_is_integer(pv -> a.field, 0, 4294967295) then
                   format('"%s" must be an integer 0..4294967295 for UInt32', a.field)
                 when a.type = 'long' and not uns_meta.jsonb_is_integer(pv -> a.field, -9223372036854775808, 18446744073709551615) then
                   format('"%s" must be a 64-bit integer', a.field)
                 when a.type = 'uint64' and not uns_meta.jsonb_is_integer(pv -> a.field, 0, 18446744073709551615) then
                   format('"%s" must be an integer 0..18446744073709551615 for UInt64', a.field)
                 when a.type = 'datetime' and not uns_meta.jsonb_is_integer(pv -> a.field, 0, 253402300799999) then
                   format('"%s" must be milliseconds since the epoch, 0..253402300799999 (year 9999)', a.field)
                 when a.type in ('float', 'double') and not (
                        jsonb_typeof(pv -> a.field) in ('number', 'string')
                        and ((pv ->> a.field) in ('NaN', 'Infinity', '-Infinity')
                             or ((pv ->> a.field) ~ '^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]{1,3})?$'
                                 and abs((pv ->> a.field)::numeric) <= case a.type when 'float' then 3.4028235e38 else 1.7976931348623157e308 end
                                 and ((pv ->> a.field)::numeric = 0
                                      or abs((pv ->> a.field)::numeric) >= case a.type when 'float' then 7.1e-46 else 2.5e-324 end)))) then
                   format('"%s" must be a %s number', a.field, case a.type when 'float' then 'single-precision' else 'double-precision' end)
                 when a.type = 'boolean' and jsonb_typeof(pv -> a.field) <> 'boolean' then format('"%s" must be a boolean', a.field)
                 when a.type = 'string' and jsonb_typeof(pv -> a.field) <> 'string' then format('"%s" must be a string', a.field)
                 when a.type = 'propertyset' and not (
                        jsonb_typeof(pv -> 'propertysetValue') = 'object'
                        and jsonb_typeof(coalesce(pv -> 'propertysetValue' -> 'keys', '[]')) = 'array'
                        and jsonb_typeof(coalesce(pv -> 'propertysetValue' -> 'values', '[]')) = 'array'
                        and jsonb_array_length(coalesce(pv -> 'propertysetValue' -> 'keys', '[]'))
                            = jsonb_array_length(coalesce(pv -> 'propertysetValue' -> 'values', '[]'))) then
                   '"propertysetValue" must be {"keys": [...], "values": [...]} with as many keys as values'
                 when a.type = 'propertysetlist' and not (
                        jsonb_typeof(pv -> 'propertysetsValue') = 'object'
                        and jsonb_typeof(coalesce(pv -> 'propertysetsValue' -> 'propertyset', '[]')) = 'array') then
                   '"propertysetsValue" must be {"propertyset": [...]}'
               end as problem,
               pv ->> a.field as num
          from (
            select t.spb_type, t.null_flag, coalesce(t.null_flag = 'true', false) as is_null,
                   case
                     when t.spb_type in (1, 2, 3, 5, 6) then 'int'
                     when t.spb_type in (4, 7) then 'long'
                     when t.spb_type = 8 then 'uint64'
                     when t.spb_type = 9 then 'float'
                     when t.spb_type = 10 then 'double'
                     when t.spb_type = 11 then 'boolean'
                     when t.spb_type in (12, 14, 15) then 'string'
                     when t.spb_type = 13 then 'datetime'
                     when t.spb_type = 20 then 'propertyset'
                     when t.spb_type = 21 then 'propertysetlist'
                     when pv ? 'intValue' then 'long'
                     when pv ? 'longValue' then 'uint64'
                     when pv ? 'floatValue' then 'float'
                     when pv ? 'doubleValue' then 'double'
                     when pv ? 'booleanValue' then 'boolean'
                     when pv ? 'stringValue' then 'string'
                   end::uns_meta.spb_property_type as type,
                   case
                     when t.spb_type in (1, 2, 3, 5, 6, 7) then
                       case when pv ? 'intValue' or not (pv ? 'longValue') then 'intValue' else 'longValue' end
                     when t.spb_type in (4, 8, 13) then
                       case when pv ? 'longValue' or not (pv ? 'intValue') then 'longValue' else 'intValue' end
                     when t.spb_type = 9 then 'floatValue'
                     when t.spb_type = 10 then 'doubleValue'
                     when t.spb_type = 11 then 'booleanValue'
                     when t.spb_type in (12, 14, 15) then 'stringValue'
                     when t.spb_type = 20 then 'propertysetValue'
                     when t.spb_type = 21 then 'propertysetsValue'
                     when pv ? 'intValue' then 'intValue'
                     when pv ? 'longValue' then 'longValue'
                     when pv ? 'floatValue' then 'floatValue'
                     when pv ? 'doubleValue' then 'doubleValue'
                     when pv ? 'booleanValue' then 'booleanValue'
                     when pv ? 'stringValue' then 'stringValue'
                   end as field
              from (select case when uns_meta.jsonb_is_integer(pv -> 'type', 0, 4294967295) then (pv ->> 'type')::bigint end as spb_type,
                           pv ->> 'isNull' as null_flag offset 0) as t
             offset 0) as a
         offset 0) as b
     offset 0) as c
 where not uns_meta.property_value_is_common(pv)
$$;
comment on function uns_meta.decode_property_value(jsonb) is
  'Decodes one Sparkplug PropertyValue (canonical protobuf JSON) into the typed columns of metric_properties, losslessly; `problem` names what is malformed.';

-- The typed value of a stored property as JSON, for version diffs: {"type": "Int32", "value": -2147483132},
-- {"type": "String", "is_null": true}, or {"type": "PropertySet"} for a nested-set marker.
-- Rendered as `json` text (property_json_text), which a first birth aggregates with json_object_agg and parses once
-- per metric -- half the cost of jsonb_object_agg over jsonb values; property_json is the same value as jsonb.
create function uns_meta.property_json_text(spb_type bigint, is_null boolean, type uns_meta.spb_property_type,
                                            value_int integer, value_long bigint, value_uint64 numeric,
                                            value_float real, value_double double precision, value_string text,
                                            value_bool boolean, value_datetime timestamptz) returns json
  language sql stable parallel safe
as $$
  select case
    when is_null then json_build_object('type', uns_meta.spb_datatype_name(spb_type), 'is_null', true)
    when type in ('propertyset', 'propertysetlist') then json_build_object('type', uns_meta.spb_datatype_name(spb_type))
    else json_build_object('type', uns_meta.spb_datatype_name(spb_type), 'value',
      case type
        when 'int' then to_json(value_int)
        when 'long' then to_json(value_long)
        when 'uint64' then to_json(value_uint64)
        when 'float' then to_json(value_float)
        when 'double' then to_json(value_double)
        when 'string' then to_json(value_string)
        when 'boolean' then to_json(value_bool)
        when 'datetime' then to_json(value_datetime)
      end)
  end
$$;
comment on function uns_meta.property_json_text(bigint, boolean, uns_meta.spb_property_type, integer, bigint, numeric, real, double precision, text, boolean, timestamptz) is
  'property_json as json text (for aggregating many at once).';

create function uns_meta.property_json(spb_type bigint, is_null boolean, type uns_meta.spb_property_type,
                                       value_int integer, value_long bigint, value_uint64 numeric,
                                       value_float real, value_double double precision, value_string text,
                                       value_bool boolean, value_datetime timestamptz) returns jsonb
  language sql stable parallel safe
as $$
  select uns_meta.property_json_text(spb_type, is_null, type, value_int, value_long, value_uint64, value_float, value_double,
                                     value_string, value_bool, value_datetime)::jsonb
$$;
comment on function uns_meta.property_json(bigint, boolean, uns_meta.spb_property_type, integer, bigint, numeric, real, double precision, text, boolean, timestamptz) is
  'A stored property''s type and typed value as JSON, as metric_versions.diff records them.';

revoke all on function uns_meta.jsonb_is_integer(jsonb, numeric, numeric), uns_meta.property_value_is_common(jsonb),
  uns_meta.property_value_fields_are_common(text, text, jsonb, jsonb, jsonb, jsonb, text), uns_meta.jsonb_array_or_empty(jsonb), uns_meta.decode_property_value(jsonb),
  uns_meta.property_json(bigint, boolean, uns_meta.spb_property_type, integer, bigint, numeric, real, double precision, text, boolean, timestamptz),
  uns_meta.property_json_text(bigint, boolean, uns_meta.spb_property_type, integer, bigint, numeric, real, double precision, text, boolean, timestamptz) from public;
grant execute on function uns_meta.jsonb_is_integer(jsonb, numeric, numeric), uns_meta.property_value_is_common(jsonb),
  uns_meta.property_value_fields_are_common(text, text, jsonb, jsonb, jsonb, jsonb, text), uns_meta.jsonb_array_or_empty(jsonb), uns_meta.decode_property_value(jsonb),
  uns_meta.property_json(bigint, boolean, uns_meta.spb_property_type, integer, bigint, numeric, real, double precision, text, boolean, timestamptz),
  uns_meta.property_json_text(bigint, boolean, uns_meta.spb_property_type, integer, bigint, numeric, real, double precision, text, boolean, timestamptz)
  to uns_meta_app, uns_meta_ro;

commit;
