-- Names for alias-only birth metrics: the device's map ($3; '' for an NBIRTH) first, then the edge node's.
select distinct on (alias) alias::text as alias, metric_name
  from uns_meta.alias_maps
 where group_id = $1 and edge_node_id = $2 and device_id in ($3, '') and alias = any($4::numeric[])
 order by alias, device_id desc
