-- Verify uns_meta:functions/spb_datatype_name on pg
begin;
do $$ begin
  assert uns_meta.spb_datatype_name(3) = 'Int32', 'spb_datatype_name(3) should be Int32';
  assert uns_meta.spb_datatype_name(99) = 'Unknown(99)', 'unknown codes should be kept';
end $$;
rollback;
