-- uns-meta status: every device with the time of its last birth that changed or was applied in full (an identical
-- re-birth answered from its fingerprint may not move it), newest first.
select d.device_id::text as device_id, d.uns_path,
       greatest(d.updated_at, f.applied_at) as last_birth_at
  from uns_meta.devices d
  left join uns_meta.birth_fingerprints f using (device_id)
 order by last_birth_at desc, d.device_id
