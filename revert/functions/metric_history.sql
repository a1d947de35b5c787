-- Revert uns_meta:functions/metric_history from pg
begin;
-- The keys complete_version_diffs added to old diffs ("key_path", "class") stay: older readers ignore them.
comment on column uns_meta.metric_versions.diff is
  'Property-level diff (JSON object): added / removed / changed properties with old and new typed values, and datatype, flag and path changes. The first version holds the full property set. See docs/sql-api.md.';
drop function uns_meta.complete_version_diffs();
drop function uns_meta.metric_states_as_of(timestamptz, bigint, text);
drop function uns_meta.metric_state_at_version(bigint, integer);
drop function uns_meta.metric_states(bigint, bigint, timestamptz, integer);
drop type uns_meta.metric_state;
drop function uns_meta.metric_properties_as_of(bigint, timestamptz);
drop function uns_meta.metric_properties_at_version(bigint, integer);
drop function uns_meta.metric_version_at(bigint, timestamptz);
drop function uns_meta.property_from_version_json(jsonb);
drop function uns_meta.property_version_json(text[], bigint, boolean, uns_meta.spb_property_type, integer, bigint, numeric, real, double precision, text, boolean, timestamptz);
drop function uns_meta.spb_datatype_code(text);
drop function uns_meta.spb_property_class(bigint);
commit;
