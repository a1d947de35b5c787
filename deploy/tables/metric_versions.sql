-- Deploy uns_meta:tables/metric_versions to pg
-- requires: tables/metrics functions/tg__append_only
begin;

create table uns_meta.metric_versions (
  version_id  bigint generated always as identity primary key,
  metric_id   bigint not null references uns_meta.metrics (metric_id) on delete cascade,
  version_no  integer not null,
  change_kind text not null,
  changed_at  timestamptz not null default now(),
  changed_by  text not null default 'system',
  source      text,
  diff        jsonb not null,
  constraint uq_metric_versions_metric_version unique (metric_id, version_no),
  constraint chk_metric_versions_version_no check (version_no >= 1),
  constraint chk_metric_versions_change_kind check (change_kind in ('created', 'updated', 'retired', 'revived')),
  constraint chk_metric_versions_diff check (jsonb_typeof(diff) = 'object')
);
comment on table uns_meta.metric_versions is
  'Append-only history: one row per metric per birth (or DBA action) that changed it, with a property-level diff. UPDATE, DELETE and TRUNCATE are rejected except for uns_meta_admin.';
comment on column uns_meta.metric_versions.version_id is 'Surrogate key, increasing in commit order of writers.';
comment on column uns_meta.metric_versions.metric_id is 'The metric that changed.';
comment on column uns_meta.metric_versions.version_no is 'Per-metric version number: 1 for the first birth, then 2, 3, ...';
comment on column uns_meta.metric_versions.change_kind is 'created (first birth), updated (properties, datatype, flags or path changed), retired (absent from a DBIRTH), revived (named again after retirement).';
comment on column uns_meta.metric_versions.changed_at is 'When the change was written.';
comment on column uns_meta.metric_versions.changed_by is 'Who made it: system for births, otherwise the DBA role or rule.';
comment on column uns_meta.metric_versions.source is 'What caused it, e.g. the birth topic and received_at, or the path rewrite rule.';
comment on column uns_meta.metric_versions.diff is
  'Property-level diff (JSON object): added / removed / changed properties with old and new typed values, and datatype, flag and path changes. The first version holds the full property set. See docs/sql-api.md.';

create trigger _100_append_only before update or delete on uns_meta.metric_versions
  for each row execute function uns_meta.tg__append_only();
create trigger _100_append_only_truncate before truncate on uns_meta.metric_versions
  for each statement execute function uns_meta.tg__append_only();

grant select, insert on uns_meta.metric_versions to uns_meta_app;
grant select on uns_meta.metric_versions to uns_meta_ro;

commit;
