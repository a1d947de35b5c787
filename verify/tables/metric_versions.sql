-- Verify uns_meta:tables/metric_versions on pg
begin;
select version_id, metric_id, version_no, change_kind, changed_at, changed_by, source, diff
  from uns_meta.metric_versions where false;
select 1 / count(*) from pg_trigger where tgrelid = 'uns_meta.metric_versions'::regclass and tgname = '_100_append_only';
rollback;
