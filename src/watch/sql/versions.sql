-- uns-meta watch: the metric versions of one notification (or of a catch-up), with the watcher's filters.
-- $1, $2 the version_id range; $3 the notification's device ids (NULL = any); $4 --device, a device_id or
-- <edge>/<device> (NULL = any); $5 --prefix, a UNS path prefix without a trailing / (NULL = any): the metric's path,
-- or the path a rename moved it from, is the prefix or starts with <prefix>/.
select v.version_id::text as version_id,
       v.changed_at,
       d.edge || '/' || d.device as device,
       coalesce(v.diff -> 'uns_path' ->> 'new', m.uns_path) as uns_path,
       v.version_no,
       v.change_kind,
       v.changed_by,
       v.diff
  from uns_meta.metric_versions as v
  join uns_meta.metrics as m using (metric_id)
  join uns_meta.devices as d on d.device_id = m.device_id
 where v.version_id between $1::bigint and $2::bigint
   and ($3::bigint[] is null or m.device_id = any ($3::bigint[]))
   and ($4::text is null or d.device_id::text = $4::text or d.edge || '/' || d.device = $4::text)
   and ($5::text is null
        or starts_with(m.uns_path || '/', $5::text || '/')
        or starts_with((v.diff -> 'uns_path' ->> 'old') || '/', $5::text || '/'))
 order by v.version_id
