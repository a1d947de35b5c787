-- Deploy uns_meta:tables/canary_dead_letters to pg
-- requires: tables/metrics
begin;

create table uns_meta.canary_dead_letters (
  dead_letter_id bigint generated always as identity primary key,
  metric_id      bigint not null references uns_meta.metrics (metric_id) on delete cascade,
  version        integer not null,
  canary_tag     text not null,
  properties     jsonb not null,
  error          text not null,
  attempts       integer not null default 1,
  created_at     timestamptz not null default now(),
  resolved_at    timestamptz,
  constraint chk_canary_dead_letters_properties check (jsonb_typeof(properties) = 'object')
);
comment on table uns_meta.canary_dead_letters is
  'Metric changes the worker could not deliver to Canary (retries exhausted, a per-tag Errors answer, or a refused request). `uns-meta canary replay` re-sends the open ones (resolved_at IS NULL).';
comment on column uns_meta.canary_dead_letters.dead_letter_id is 'Surrogate key.';
comment on column uns_meta.canary_dead_letters.metric_id is 'The metric whose change was not delivered.';
comment on column uns_meta.canary_dead_letters.version is 'metrics.version the worker tried to deliver.';
comment on column uns_meta.canary_dead_letters.canary_tag is 'Full Canary tag path it was sent to.';
comment on column uns_meta.canary_dead_letters.properties is 'Canary property name -> value that was to be written.';
comment on column uns_meta.canary_dead_letters.error is 'The last error (Canary''s message, HTTP status or transport error); never a token.';
comment on column uns_meta.canary_dead_letters.attempts is 'graphile-worker attempts of the job when it gave up.';
comment on column uns_meta.canary_dead_letters.created_at is 'When the change was dead-lettered.';
comment on column uns_meta.canary_dead_letters.resolved_at is 'When a later sync or `uns-meta canary replay` delivered the metric (or a newer failure replaced this one); NULL while open.';

create index ix_canary_dead_letters_open on uns_meta.canary_dead_letters (metric_id) where resolved_at is null;

grant select, insert, update (resolved_at) on uns_meta.canary_dead_letters to uns_meta_app;
grant select on uns_meta.canary_dead_letters to uns_meta_ro;

commit;
