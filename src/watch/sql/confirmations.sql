-- uns-meta watch: the Canary confirmations of one notification (or of a catch-up), with the watcher's filters.
-- $1, $2 the confirmed_at range; $3 the notification's device ids (NULL = any); $4 --device, a device_id or
-- <edge>/<device> (NULL = any); $5 --prefix, a UNS path prefix without a trailing / (NULL = any).
select s.metric_id::text as metric_id,
       s.confirmed_at,
       d.edge || '/' || d.device as device,
       m.uns_path,
       s.confirmed_version,
       s.outcome,
       s.canary_tag
  from uns_meta.canary_sync_state as s
  join uns_meta.metrics as m using (metric_id)
  join uns_meta.devices as d on d.device_id = m.device_id
 where s.confirmed_at between $1::timestamptz and $2::timestamptz
   and ($3::bigint[] is null or m.device_id = any ($3::bigint[]))
   and ($4::text is null or d.device_id::text = $4::text or d.edge || '/' || d.device = $4::text)
   and ($5::text is null or starts_with(m.uns_path || '/', $5::text || '/'))
 order by s.confirmed_at, m.uns_path
