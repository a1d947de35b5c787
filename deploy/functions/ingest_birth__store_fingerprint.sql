-- Deploy uns_meta:functions/ingest_birth__store_fingerprint to pg
-- requires: tables/birth_fingerprints tables/devices
begin;

-- The last step of ingest_birth on the last (or only) call, the second half of the birth fingerprint (the first:
-- ingest_birth__match_fingerprint). Remembers a complete birth (unchunked, or chunked with the ingestor's fingerprint
-- on its final chunk) applied without rejection under unchanged
-- rules -- the condition under which the birth just kept devices.path_rules_version (ingest_birth__settle_birth) --
-- so that its identical successor is answered at step 3b. Returns whether a fingerprint was stored.
create function uns_meta.ingest_birth__store_fingerprint(p_device_id bigint, p_fingerprint bytea)
  returns boolean
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  if p_fingerprint is null then
    return false;
  end if;
  insert into uns_meta.birth_fingerprints (device_id, fingerprint)
  select d.device_id, p_fingerprint
    from uns_meta.devices as d
   where d.device_id = p_device_id and d.path_rules_version is not null;
  return found;
end
$$;
comment on function uns_meta.ingest_birth__store_fingerprint(bigint, bytea) is
  'ingest_birth''s last step: stores the fingerprint of a birth applied in full (none: a chunked birth without the ingestor''s fingerprint) (the device''s path_rules_version is set); returns whether it did.';
revoke all on function uns_meta.ingest_birth__store_fingerprint(bigint, bytea) from public;
grant execute on function uns_meta.ingest_birth__store_fingerprint(bigint, bytea) to uns_meta_app;

commit;
