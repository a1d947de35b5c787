-- Revert uns_meta:grants/public_defaults from pg: PostgreSQL's defaults again.
begin;

revoke usage on type uns_meta.spb_property_type from uns_meta_app, uns_meta_ro, uns_meta_cdc;
grant usage on type uns_meta.spb_property_type to public;
grant execute on function uns_meta.tg_metric_properties__metric_exists() to public;
grant execute on function uns_meta.tg_metrics__delete_properties() to public;
grant execute on function uns_meta.tg_metrics__metric_id_immutable() to public;

commit;
