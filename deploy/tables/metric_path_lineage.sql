-- Deploy uns_meta:tables/metric_path_lineage to pg
-- requires: tables/metrics functions/tg__append_only
begin;

create table uns_meta.metric_path_lineage (
  lineage_id   bigint generated always as identity primary key,
  metric_id    bigint not null references uns_meta.metrics (metric_id) on delete cascade,
  old_uns_path text not null,
  new_uns_path text not null,
  changed_at   timestamptz not null default now(),
  changed_by   text not null default 'system',
  reason       text,
  constraint uq_lineage unique (metric_id, old_uns_path, new_uns_path),
  constraint chk_metric_path_lineage_changed check (old_uns_path <> new_uns_path)
);
create index ix_metric_path_lineage_old_uns_path on uns_meta.metric_path_lineage (old_uns_path);
create index ix_metric_path_lineage_new_uns_path on uns_meta.metric_path_lineage (new_uns_path);
comment on table uns_meta.metric_path_lineage is
  'Append-only lineage of metric UNS path changes: the metric keeps its metric_id, each rename is recorded old -> new. UPDATE, DELETE and TRUNCATE are rejected except for uns_meta_admin.';
comment on column uns_meta.metric_path_lineage.lineage_id is 'Surrogate key.';
comment on column uns_meta.metric_path_lineage.metric_id is 'The metric whose path changed (its identity did not).';
comment on column uns_meta.metric_path_lineage.old_uns_path is 'UNS path before the change.';
comment on column uns_meta.metric_path_lineage.new_uns_path is 'UNS path after the change.';
comment on column uns_meta.metric_path_lineage.changed_at is 'When the change was written.';
comment on column uns_meta.metric_path_lineage.changed_by is 'system for births, otherwise the DBA role.';
comment on column uns_meta.metric_path_lineage.reason is 'Why the path changed, e.g. a normalisation or path rewrite rule.';

create trigger _100_append_only before update or delete on uns_meta.metric_path_lineage
  for each row execute function uns_meta.tg__append_only();
create trigger _100_append_only_truncate before truncate on uns_meta.metric_path_lineage
  for each statement execute function uns_meta.tg__append_only();

grant select, insert on uns_meta.metric_path_lineage to uns_meta_app;
grant select on uns_meta.metric_path_lineage to uns_meta_ro;

commit;
