-- Verify uns_meta:tables/birth_fingerprints on pg
begin;
select device_id, fingerprint, applied_at from uns_meta.birth_fingerprints where false;
select 1 / (has_table_privilege('uns_meta_app', 'uns_meta.birth_fingerprints', 'delete'))::int;
select 1 / (count(*) = 2)::int from pg_trigger
 where tgname = '_900_forget_birth_fingerprints' and tgrelid in ('uns_meta.metrics'::regclass, 'uns_meta.metric_properties'::regclass);
rollback;
