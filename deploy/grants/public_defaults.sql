-- Deploy uns_meta:grants/public_defaults to pg
-- requires: tables/metric_properties
-- requires: types/spb_property_type
begin;

-- PostgreSQL gives PUBLIC EXECUTE on every new function and USAGE on every new type. The schema is closed to
-- PUBLIC, so nobody outside the uns_meta roles reaches them, but the roles inside it did: uns_meta_ro and
-- uns_meta_cdc could execute the three trigger functions of tables/metric_properties (two of them SECURITY
-- DEFINER). A trigger fires without an EXECUTE check, so nobody needs EXECUTE on them; the property type is read
-- through the tables by the three service roles. sql-tests/grants/public_defaults.sql checks from the catalog that
-- no object of the schema grants PUBLIC anything, so a new one cannot slip through.
revoke execute on function uns_meta.tg_metric_properties__metric_exists() from public;
revoke execute on function uns_meta.tg_metrics__delete_properties() from public;
revoke execute on function uns_meta.tg_metrics__metric_id_immutable() from public;
revoke usage on type uns_meta.spb_property_type from public;
grant usage on type uns_meta.spb_property_type to uns_meta_app, uns_meta_ro, uns_meta_cdc;

commit;
