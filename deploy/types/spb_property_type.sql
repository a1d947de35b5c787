-- Deploy uns_meta:types/spb_property_type to pg
-- requires: schemas/uns_meta
begin;

-- The storage class of a property value: which typed column of metric_properties holds it.
-- The first six are the Release 1.1 ERD's; the rest make every Sparkplug PropertyValue type lossless.
create type uns_meta.spb_property_type as enum (
  'int',              -- value_int integer:        Int8, Int16, Int32 (sign-extended), UInt8, UInt16
  'long',             -- value_long bigint:        Int64, UInt32
  'float',            -- value_float real:         Float
  'double',           -- value_double double:      Double
  'string',           -- value_string text:        String, Text, UUID
  'boolean',          -- value_bool boolean:       Boolean
  'uint64',           -- value_uint64 numeric(20): UInt64, 0 .. 18446744073709551615
  'datetime',         -- value_datetime timestamptz: DateTime (ms since the epoch, UTC)
  'propertyset',      -- no value: a nested PropertySet; its members are rows under this key path
  'propertysetlist'   -- no value: a PropertySetList; its items are rows under <key>/<index>
);
comment on type uns_meta.spb_property_type is
  'Storage class of a metric property value: names the one typed value_* column that holds it. The original Sparkplug type code is kept in metric_properties.spb_type.';

commit;
