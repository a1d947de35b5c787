-- Deploy uns_meta:functions/tg__timestamps to pg
-- requires: schemas/uns_meta
begin;

-- BEFORE UPDATE trigger shared by the mutable tables:
--   * created_at can never change (SQLSTATE U0101);
--   * updated_at moves to now() only when some other column really changed, so an identical UPDATE
--     (a no-op re-birth) leaves the row's timestamps as they were.
-- Trigger arguments name columns to leave out of the comparison: GENERATED columns, which BEFORE
-- triggers cannot read.
create function uns_meta.tg__timestamps() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog
as $$
declare
  ignored text[] := array['updated_at'] || tg_argv;
begin
  if new.created_at is distinct from old.created_at then
    raise exception using
      errcode = 'U0101',
      message = format('%I.%I.created_at cannot change (it stays %s)', tg_table_schema, tg_table_name, old.created_at),
      hint = 'created_at records when the row was first written; leave it out of the UPDATE.',
      schema = tg_table_schema, table = tg_table_name, column = 'created_at',
      constraint = 'created_at_immutable';
  end if;
  if (to_jsonb(new) - ignored) is distinct from (to_jsonb(old) - ignored) then
    new.updated_at := now();
  else
    new.updated_at := old.updated_at;
  end if;
  return new;
end
$$;
comment on function uns_meta.tg__timestamps() is
  'BEFORE UPDATE: rejects changes to created_at (U0101); sets updated_at = now() only when another column changed. Arguments: generated columns to ignore.';
revoke all on function uns_meta.tg__timestamps() from public;

commit;
