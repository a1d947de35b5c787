-- Records (alias, name) pairs of a birth in its map (device_id '' = the edge node's map); born_at marks the
-- entries of this birth so prune_aliases.sql can drop the rest once the whole birth is in.
insert into uns_meta.alias_maps (group_id, edge_node_id, device_id, alias, metric_name, born_at)
select $1, $2, $3, a, n, $4
  from unnest($5::numeric[], $6::text[]) as t(a, n)
    on conflict (group_id, edge_node_id, device_id, alias)
    do update set metric_name = excluded.metric_name, born_at = excluded.born_at
