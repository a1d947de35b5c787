-- Verify uns_meta:publications/uns_meta_pub on pg
begin;
select 1 / (count(*) = 2)::int from pg_publication_tables
 where pubname = 'uns_meta_pub' and schemaname = 'uns_meta' and tablename in ('metrics', 'metric_properties');
rollback;
