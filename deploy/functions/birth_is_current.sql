-- Deploy uns_meta:functions/birth_is_current to pg
-- requires: functions/ingest_birth functions/path_rules tables/birth_fingerprints
begin;

-- The ingestor's question before it builds or sends a birth: does the catalog already hold exactly this birth?
-- True when the device of the DBIRTH topic has the fingerprint stored by ingest_birth at the end of the last
-- birth it applied in full (no rejection), and that birth's paths are still the current rules' paths: the device's
-- path_rules_version is the current path_rules_version(), and its path is what the rules give today (the two
-- conditions of ingest_birth's own no-op, step 3b). A DBA edit of metrics or metric_properties, a deleted device or
-- reapply_path_rules empties birth_fingerprints (tables/birth_fingerprints), so none of them can be answered from
-- an old fingerprint. False for anything it cannot vouch for (an unknown device, a topic that is not a device's
-- DBIRTH): the caller then sends the birth, and ingest_birth gives the error.
-- Read-only and lock-free: ingest_birth's identical-birth path writes nothing either (no bookkeeping of the
-- arrival), so answering true here leaves the catalog exactly as ingest_birth would.
create function uns_meta.birth_is_current(topic text, fingerprint bytea) returns boolean
  language sql stable parallel safe
  set search_path = pg_catalog, pg_temp
as $$
  select coalesce((
    select true
      from (select string_to_array(topic, '/') as p) as t
      join uns_meta.devices as d
        on d.group_id = t.p[2] and d.edge = t.p[4] and d.device = t.p[5]
      join uns_meta.birth_fingerprints as f on f.device_id = d.device_id
     where cardinality(t.p) = 5 and t.p[1] = 'spBv1.0' and t.p[3] = 'DBIRTH'
       and f.fingerprint = birth_is_current.fingerprint
       and d.path_rules_version = uns_meta.path_rules_version()
       and d.uns_path = uns_meta.rewrite_path(uns_meta.device_base_path(d.group_id, d.edge, d.device))), false)
$$;
comment on function uns_meta.birth_is_current(text, bytea) is
  'True when the catalog already holds the birth of this DBIRTH topic with this fingerprint (stored by ingest_birth from '
  'the envelope''s "fingerprint"), under the current path rules: the ingestor then sends nothing. See docs/sql-api.md#identical-re-births.';
revoke all on function uns_meta.birth_is_current(text, bytea) from public;
grant execute on function uns_meta.birth_is_current(text, bytea) to uns_meta_app;

-- What birth_fingerprints now holds (the table predates this change).
comment on column uns_meta.birth_fingerprints.fingerprint is
  'The last birth applied in full: the ingestor''s sha-256 of it (32 bytes, envelope "fingerprint"), or, for a caller '
  'that sends none, the md5 of payload.metrics as canonical jsonb text (16 bytes, unchunked births only).';

commit;
