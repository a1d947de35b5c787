-- Deploy uns_meta:functions/ingest_birth__match_fingerprint to pg
-- requires: tables/birth_fingerprints
begin;

-- Step 3b of ingest_birth, the first half of the birth fingerprint (the second: ingest_birth__store_fingerprint).
-- A birth identical to the last one applied in full, under the same rules, can change nothing: comparing one md5 of
-- the metrics replaces staging, decoding and comparing every metric (a re-birth after a reconnect usually repeats the
-- last one). The fingerprint is the one the ingestor computed (p_given: the sha-256 it sends with an unchunked birth
-- or a chunked birth's final chunk), else, for an unchunked birth (a psql replay), the md5 of its metrics; a chunk
-- without one has none. o_identical: the birth
-- matches the device's stored fingerprint, its path did not change (p_device_changed) and its metric paths are
-- current (p_paths_current): ingest_birth answers at once. Otherwise the device's fingerprint is removed (whatever
-- this birth does, it no longer describes the device; one is stored at the end).
create function uns_meta.ingest_birth__match_fingerprint(
  p_device_id bigint, p_metrics jsonb, p_chunk_index integer, p_device_changed boolean, p_paths_current boolean,
  p_given bytea, out o_fingerprint bytea, out o_identical boolean)
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  o_identical := false;
  o_fingerprint := p_given;
  if p_chunk_index is null then
    o_fingerprint := coalesce(o_fingerprint, decode(md5(p_metrics::text), 'hex'));
    if not p_device_changed and p_paths_current
       and exists (select from uns_meta.birth_fingerprints as f
                    where f.device_id = p_device_id and f.fingerprint = o_fingerprint) then
      o_identical := true;
      return;
    end if;
  end if;
  delete from uns_meta.birth_fingerprints as f where f.device_id = p_device_id;
end
$$;
comment on function uns_meta.ingest_birth__match_fingerprint(bigint, jsonb, integer, boolean, boolean, bytea) is
  'ingest_birth step 3b: the birth''s fingerprint (the ingestor''s sha-256, else the md5 of an unchunked birth''s metrics), and whether it repeats the device''s last birth applied in full (nothing to do); otherwise removes the device''s stored fingerprint.';
revoke all on function uns_meta.ingest_birth__match_fingerprint(bigint, jsonb, integer, boolean, boolean, bytea) from public;
grant execute on function uns_meta.ingest_birth__match_fingerprint(bigint, jsonb, integer, boolean, boolean, bytea) to uns_meta_app;

commit;
