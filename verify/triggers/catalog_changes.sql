-- Verify uns_meta:triggers/catalog_changes on pg
begin;
do $$ begin
  assert (select count(*) from pg_trigger
           where tgname like '\_300\_record\_change%' and not tgisinternal
             and tgrelid in ('uns_meta.metrics'::regclass, 'uns_meta.metric_properties'::regclass,
                             'uns_meta.canary_property_names'::regclass)) = 7,
    'the seven _300_record_change* statement triggers must exist';
  assert not has_function_privilege('uns_meta_ro', 'uns_meta.record_property_changes(bigint[], text[], text[], jsonb[], jsonb[], text)', 'execute'),
    'uns_meta_ro must not execute record_property_changes';
end $$;
rollback;
