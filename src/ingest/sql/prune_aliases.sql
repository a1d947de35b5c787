-- After the last chunk of a birth: the map is exactly what this birth declared.
delete from uns_meta.alias_maps
 where group_id = $1 and edge_node_id = $2 and device_id = $3 and born_at <> $4
