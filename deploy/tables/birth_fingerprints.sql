-- Deploy uns_meta:tables/birth_fingerprints to pg
-- requires: tables/metric_properties
begin;

create table uns_meta.birth_fingerprints (
  device_id   bigint primary key references uns_meta.devices (device_id) on delete cascade,
  fingerprint bytea not null,
  applied_at  timestamptz not null default now()
);
comment on table uns_meta.birth_fingerprints is
  'ingest_birth''s memory of the last birth it applied in full per device: a birth whose metrics are byte-for-byte the same (as canonical jsonb), while devices.path_rules_version is still the current rules'' version, changes nothing, and is answered without staging it. Only complete, unchunked births without rejections are remembered. Any write to metrics or metric_properties other than ingest_birth''s (a DBA edit, reapply_path_rules, a deleted device) forgets every fingerprint, so the next birth of each device is compared metric by metric again. Safe to empty at any time.';
comment on column uns_meta.birth_fingerprints.device_id is 'The device (devices.device_id).';
comment on column uns_meta.birth_fingerprints.fingerprint is 'md5 of payload.metrics of the last birth applied in full, as canonical jsonb text.';
comment on column uns_meta.birth_fingerprints.applied_at is 'When that birth was applied (transaction time).';

grant select, insert, update, delete on uns_meta.birth_fingerprints to uns_meta_app;
grant select on uns_meta.birth_fingerprints to uns_meta_ro;

-- Forgets every fingerprint after a write to the catalog that did not come from ingest_birth (which marks its
-- transaction with uns_meta.ingest_birth_active = 'on' while it runs): a statement trigger without transition
-- tables, so ingest_birth's own large inserts pay nothing.
create function uns_meta.tg__forget_birth_fingerprints() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog
as $$
begin
  if current_setting('uns_meta.ingest_birth_active', true) is distinct from 'on'
     and exists (select from uns_meta.birth_fingerprints) then
    delete from uns_meta.birth_fingerprints;
  end if;
  return null;
end
$$;
comment on function uns_meta.tg__forget_birth_fingerprints() is
  'Statement trigger of metrics and metric_properties: a write outside ingest_birth empties uns_meta.birth_fingerprints.';
revoke all on function uns_meta.tg__forget_birth_fingerprints() from public;

create trigger _900_forget_birth_fingerprints
  after insert or update or delete or truncate on uns_meta.metrics
  for each statement execute function uns_meta.tg__forget_birth_fingerprints();
create trigger _900_forget_birth_fingerprints
  after insert or update or delete or truncate on uns_meta.metric_properties
  for each statement execute function uns_meta.tg__forget_birth_fingerprints();

commit;
