-- Verify uns_meta:tables/alias_maps on pg
begin;
select group_id, edge_node_id, device_id, alias, metric_name, born_at from uns_meta.alias_maps where false;
select 1 / (has_table_privilege('uns_meta_app', 'uns_meta.alias_maps', 'delete'))::int;
rollback;
