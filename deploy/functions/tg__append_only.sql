-- Deploy uns_meta:functions/tg__append_only to pg
-- requires: schemas/uns_meta
begin;

-- BEFORE UPDATE OR DELETE (row) and BEFORE TRUNCATE (statement) trigger of the audit tables
-- (metric_versions, metric_path_lineage, device_path_lineage): history is written once and never edited.
-- Only members of uns_meta_admin (DBA maintenance, e.g. purging a deleted device) may change it.
create function uns_meta.tg__append_only() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog
as $$
begin
  if pg_has_role(current_user, 'uns_meta_admin', 'member') then
    return case tg_op when 'DELETE' then old when 'UPDATE' then new end;
  end if;
  raise exception using
    errcode = 'U0102',
    message = format('%I.%I is append-only: %s is not allowed for role %I', tg_table_schema, tg_table_name, tg_op, current_user),
    hint = 'History rows are never edited; record a correction as a new row, or ask a DBA (uns_meta_admin).',
    schema = tg_table_schema, table = tg_table_name,
    constraint = 'append_only';
end
$$;
comment on function uns_meta.tg__append_only() is
  'BEFORE UPDATE/DELETE/TRUNCATE: rejects changes to append-only tables (U0102) unless current_user is a member of uns_meta_admin.';
revoke all on function uns_meta.tg__append_only() from public;

commit;
