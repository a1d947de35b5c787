-- Deploy uns_meta:functions/spb_datatype_name to pg
-- requires: schemas/uns_meta
begin;

-- Sparkplug B 3.0 DataType names by code, for analysts (metrics.datatype, metric_properties.spb_type).
-- Codes a future Sparkplug version adds come back as 'Unknown(<code>)': the code itself is always stored.
-- Not STRICT and immutable throughout (code::text), so the planner inlines it: diffs name 800,000 types.
create function uns_meta.spb_datatype_name(code bigint) returns text
  language sql immutable parallel safe
return coalesce(
  (array['Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64', 'Float', 'Double', 'Boolean',
         'String', 'DateTime', 'Text', 'UUID', 'DataSet', 'Bytes', 'File', 'Template', 'PropertySet',
         'PropertySetList', 'Int8Array', 'Int16Array', 'Int32Array', 'Int64Array', 'UInt8Array', 'UInt16Array',
         'UInt32Array', 'UInt64Array', 'FloatArray', 'DoubleArray', 'BooleanArray', 'StringArray',
         'DateTimeArray'])[case when code between 1 and 34 then code end],
  case when code = 0 then 'Unknown' else 'Unknown(' || code::text || ')' end);
comment on function uns_meta.spb_datatype_name(bigint) is
  'Name of a Sparkplug B DataType code (1 Int8 … 34 DateTimeArray); 0 is Unknown; other codes Unknown(<code>).';
revoke all on function uns_meta.spb_datatype_name(bigint) from public;
grant execute on function uns_meta.spb_datatype_name(bigint) to uns_meta_app, uns_meta_ro;

commit;
