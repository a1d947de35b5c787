-- Deploy uns_meta:publications/uns_meta_pub to pg
-- requires: tables/metrics tables/metric_properties
begin;

-- Logical replication feed for downstream CDC consumers (role uns_meta_cdc, slot uns_meta_slot).
-- Needs wal_level = logical on the server to be consumed; scripts/setup.sh sets it for development.
create publication uns_meta_pub for table uns_meta.metrics, uns_meta.metric_properties;
comment on publication uns_meta_pub is 'Changes to uns_meta.metrics and uns_meta.metric_properties for CDC consumers (uns_meta_cdc).';

commit;
