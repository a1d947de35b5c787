-- Verify uns_meta:functions/decode_property_value on pg
begin;
do $$ begin
  assert (select value_int from uns_meta.decode_property_value('{"type": 3, "intValue": 2147484164}')) = -2147483132,
    'Int32 sign extension';
  assert (select value_uint64 from uns_meta.decode_property_value('{"type": 8, "longValue": "18446744073709551615"}')) = 18446744073709551615,
    'UInt64 exactness';
end $$;
rollback;
