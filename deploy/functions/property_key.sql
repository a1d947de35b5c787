-- Deploy uns_meta:functions/property_key to pg
-- requires: schemas/uns_meta
begin;

-- The flat key of a (possibly nested) property, from its key path.
-- A top-level property keeps its key exactly as received. Members of a nested PropertySet and items of a
-- PropertySetList follow, separated by '/', each escaped as in JSON Pointer (RFC 6901: '~' -> '~0',
-- '/' -> '~1') so the nesting is recoverable; list items are their zero-based index.
--   {engUnit}                -> engUnit
--   {limits,high}            -> limits/high
--   {alarms,0,setpoint}      -> alarms/0/setpoint
--   {cfg,a/b}                -> cfg/a~1b
create function uns_meta.property_key(key_path text[]) returns text
  language sql immutable strict parallel safe
  set search_path = pg_catalog
return key_path[1] || coalesce(
  (select string_agg('/' || replace(replace(seg, '~', '~0'), '/', '~1'), '' order by ord)
     from unnest(key_path[2:]) with ordinality as s(seg, ord)),
  '');
comment on function uns_meta.property_key(text[]) is
  'Flat metric_properties.key for a key path: the top-level key as received, then "/"-separated nested segments escaped as JSON Pointer (~0, ~1).';
revoke all on function uns_meta.property_key(text[]) from public;
grant execute on function uns_meta.property_key(text[]) to uns_meta_app, uns_meta_ro;

commit;
