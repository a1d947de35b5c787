-- Deploy uns_meta:tables/dead_letters to pg
-- requires: functions/tg__append_only
begin;

create table uns_meta.dead_letters (
  dead_letter_id   bigint generated always as identity primary key,
  topic            text not null,
  received_at      timestamptz not null,
  payload          bytea not null,
  payload_size     bigint not null,
  reason           text not null,
  sqlstate         text,
  dead_lettered_at timestamptz not null default now(),
  constraint chk_dead_letters_payload_size check (payload_size >= length(payload)),
  constraint chk_dead_letters_reason check (reason <> '')
);
create index ix_dead_letters_dead_lettered_at on uns_meta.dead_letters (dead_lettered_at);
create index ix_dead_letters_topic on uns_meta.dead_letters (topic, received_at);
comment on table uns_meta.dead_letters is
  'Append-only: MQTT messages the ingestor could not apply (undecodable payload, a birth ingest_birth refused), with the raw bytes to replay or inspect (uns-meta decode).';
comment on column uns_meta.dead_letters.dead_letter_id is 'Surrogate key.';
comment on column uns_meta.dead_letters.topic is 'MQTT topic the message arrived on.';
comment on column uns_meta.dead_letters.received_at is 'When the ingestor received the message.';
comment on column uns_meta.dead_letters.payload is 'The raw MQTT payload, as received (its first INGEST_DEAD_LETTER_MAX_BYTES bytes when larger).';
comment on column uns_meta.dead_letters.payload_size is 'Size of the whole payload in bytes (larger than length(payload) when it was truncated).';
comment on column uns_meta.dead_letters.reason is 'Why, in words: the decoder''s or the database''s message.';
comment on column uns_meta.dead_letters.sqlstate is 'SQLSTATE of the database error that refused the birth (U0001 ...); NULL for a payload that did not decode.';
comment on column uns_meta.dead_letters.dead_lettered_at is 'When the row was written (later than received_at after a spool replay).';

create trigger _100_append_only before update or delete on uns_meta.dead_letters
  for each row execute function uns_meta.tg__append_only();
create trigger _100_append_only_truncate before truncate on uns_meta.dead_letters
  for each statement execute function uns_meta.tg__append_only();

grant select, insert on uns_meta.dead_letters to uns_meta_app;
grant select on uns_meta.dead_letters to uns_meta_ro;

commit;
