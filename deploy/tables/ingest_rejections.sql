-- Deploy uns_meta:tables/ingest_rejections to pg
-- requires: tables/devices functions/tg__append_only
begin;

create table uns_meta.ingest_rejections (
  rejection_id bigint generated always as identity primary key,
  topic        text not null,
  metric_name  text,
  reason       text not null,
  detail       jsonb,
  received_at  timestamptz,
  rejected_at  timestamptz not null default now()
);
create index ix_ingest_rejections_rejected_at on uns_meta.ingest_rejections (rejected_at);
create index ix_ingest_rejections_topic on uns_meta.ingest_rejections (topic, rejected_at);
comment on table uns_meta.ingest_rejections is
  'Append-only log of what ingest refused: a metric of a birth (metric_name set; the rest of the birth applied), or a whole birth (metric_name NULL; recorded by the caller after the failed transaction).';
comment on column uns_meta.ingest_rejections.rejection_id is 'Surrogate key.';
comment on column uns_meta.ingest_rejections.topic is 'MQTT topic of the birth.';
comment on column uns_meta.ingest_rejections.metric_name is 'Sparkplug name of the rejected metric; NULL when the whole birth was rejected.';
comment on column uns_meta.ingest_rejections.reason is 'Why, in words (e.g. the UNS path collision and the metric that owns the path).';
comment on column uns_meta.ingest_rejections.detail is 'Machine-readable detail (paths, competing names, SQLSTATE).';
comment on column uns_meta.ingest_rejections.received_at is 'When the birth was received (from the ingest input), if known.';
comment on column uns_meta.ingest_rejections.rejected_at is 'When the rejection was written.';

create trigger _100_append_only before update or delete on uns_meta.ingest_rejections
  for each row execute function uns_meta.tg__append_only();
create trigger _100_append_only_truncate before truncate on uns_meta.ingest_rejections
  for each statement execute function uns_meta.tg__append_only();

grant select, insert on uns_meta.ingest_rejections to uns_meta_app;
grant select on uns_meta.ingest_rejections to uns_meta_ro;

commit;
