-- Revert uns_meta:functions/decode_property_value from pg
begin;
drop function uns_meta.property_json_text(bigint, boolean, uns_meta.spb_property_type, integer, bigint, numeric, real, double precision, text, boolean, timestamptz);
drop function uns_meta.property_json(bigint, boolean, uns_meta.spb_property_type, integer, bigint, numeric, real, double precision, text, boolean, timestamptz);
drop function uns_meta.decode_property_value(jsonb);
drop function uns_meta.property_value_is_common(jsonb);
drop function uns_meta.property_value_fields_are_common(text, text, jsonb, jsonb, jsonb, jsonb, text);
drop function uns_meta.jsonb_is_integer(jsonb, numeric, numeric);
drop function uns_meta.jsonb_array_or_empty(jsonb);
commit;
