-- Revert uns_meta:triggers/catalog_changes from pg
begin;
drop trigger _300_record_change_insert on uns_meta.canary_property_names;
drop trigger _300_record_change_update on uns_meta.canary_property_names;
drop trigger _300_record_change_delete on uns_meta.canary_property_names;
drop function uns_meta.tg_canary_property_names__record_change();
drop trigger _300_record_change on uns_meta.metrics;
drop function uns_meta.tg_metrics__record_change();
drop trigger _300_record_change_insert on uns_meta.metric_properties;
drop trigger _300_record_change_update on uns_meta.metric_properties;
drop trigger _300_record_change_delete on uns_meta.metric_properties;
drop function uns_meta.tg_metric_properties__record_change();
drop function uns_meta.record_property_changes(bigint[], text[], text[], jsonb[], jsonb[], text);
drop function uns_meta.lock_device_births(bigint[]);
commit;
