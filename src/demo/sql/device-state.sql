-- A device's footprint in the catalog: its id, live metrics and version rows ($1 = UNS path of the device).
select d.device_id::text as device_id,
       (select count(*) from uns_meta.metrics m where m.device_id = d.device_id and m.retired_at is null)::int as live_metrics,
       (select count(*) from uns_meta.metric_versions v join uns_meta.metrics m using (metric_id)
         where m.device_id = d.device_id)::int as versions
  from uns_meta.devices d
 where d.uns_path = $1;
