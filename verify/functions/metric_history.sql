-- Verify uns_meta:functions/metric_history on pg
begin;
do $$ begin
  assert has_function_privilege('uns_meta_ro', 'uns_meta.metric_properties_as_of(bigint, timestamptz)', 'execute'),
    'uns_meta_ro must execute metric_properties_as_of';
  assert has_function_privilege('uns_meta_ro', 'uns_meta.metric_state_at_version(bigint, integer)', 'execute'),
    'uns_meta_ro must execute metric_state_at_version';
  assert has_function_privilege('uns_meta_ro', 'uns_meta.metric_states_as_of(timestamptz, bigint, text)', 'execute'),
    'uns_meta_ro must execute metric_states_as_of';
  assert has_function_privilege('uns_meta_app', 'uns_meta.property_version_json(text[], bigint, boolean, uns_meta.spb_property_type, integer, bigint, numeric, real, double precision, text, boolean, timestamptz)', 'execute'),
    'uns_meta_app must execute property_version_json';
  assert not has_function_privilege('public', 'uns_meta.property_from_version_json(jsonb)', 'execute'),
    'PUBLIC must not execute property_from_version_json';
end $$;
rollback;
