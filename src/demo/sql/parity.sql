-- Is Canary up to date for each live metric of a device ($1 = device_id)?
select canary_id, canary_tag, version, confirmed_version, status
  from uns_meta.canary_parity
 where device_id = $1 and retired_at is null
 order by canary_id;
