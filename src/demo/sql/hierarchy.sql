-- The analysts' view of a device's metrics ($1 = device_id).
select plant, area, tag, canary_id, version
  from uns_meta.metric_hierarchy
 where device_id = $1
 order by canary_id;
