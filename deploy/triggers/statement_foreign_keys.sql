-- Deploy uns_meta:triggers/statement_foreign_keys to pg
-- requires: tables/devices tables/metrics tables/metric_versions tables/metric_properties
begin;

-- metrics.device_id -> devices and metric_versions.metric_id -> metrics, checked once per statement instead of once
-- per row (issue 12, "less work per row"), as tables/metric_properties has done for metric_properties.metric_id
-- since v0.4. A FOREIGN KEY fires an internal trigger for every inserted row, which runs its own
-- `SELECT 1 FROM parent WHERE key = $1 FOR KEY SHARE` (98,332 of them for each of the two tables in the first birth of
-- the plant-shaped device). These triggers do the same work in one query per statement, with the same guarantees:
--   child INSERT (per statement, transition table) and child UPDATE that changes the key (per row, like the foreign
--   key, which checks only rows whose key changed): the parents are locked FOR KEY SHARE, so a concurrent DELETE of
--   one waits until the writer commits, and a missing parent is refused with SQLSTATE 23503 and the very error the
--   foreign key raised (its name kept in the CONSTRAINT field: the dropped constraint's);
--   parent DELETE: the children are deleted (ON DELETE CASCADE), per statement;
--   parent TRUNCATE: the children are deleted (TRUNCATE ... CASCADE reached them through the foreign key; a TRUNCATE
--   without CASCADE is still refused by the other foreign keys of devices and metrics, see docs/schema.md);
--   parent UPDATE of the key (ON UPDATE NO ACTION): refused with 23503 while children still refer to the old key
--   (devices.device_id; metrics.metric_id never changes at all: tables/metric_properties' _200_metric_id_immutable).
-- The functions are generic over (child column, parent table, parent column, constraint name), passed as trigger
-- arguments; the keys are bigint. SECURITY DEFINER: like a foreign key's own queries they run as the tables' owner,
-- so a writer needs no right to lock the parent and a cascade passes the append-only trigger of metric_versions.

alter table uns_meta.metrics drop constraint metrics_device_id_fkey;
alter table uns_meta.metric_versions drop constraint metric_versions_metric_id_fkey;
comment on column uns_meta.metrics.device_id is
  'The device whose DBIRTH names this metric. References devices (ON DELETE CASCADE), enforced once per statement by triggers (constraint name metrics_device_id_fkey in their errors).';
comment on column uns_meta.metric_versions.metric_id is
  'The metric that changed. References metrics (ON DELETE CASCADE), enforced once per statement by triggers (constraint name metric_versions_metric_id_fkey in their errors).';

-- AFTER INSERT (statement, new_rows) and AFTER UPDATE (row, WHEN the key changed) of the child.
-- tg_argv: child column, parent table (qualified), parent column, constraint name.
create function uns_meta.tg__fk_check() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_column   text := tg_argv[0];
  v_parent   regclass := tg_argv[1]::regclass;
  v_key      text := tg_argv[2];
  v_ids      bigint[];
  v_missing  bigint;
begin
  if tg_level = 'ROW' then
    execute format('select array_remove(array[($1).%I::bigint], null)', v_column) using new into v_ids;
  else
    execute format('select array_agg(distinct n.%1$I) from new_rows as n where n.%1$I is not null', v_column) into v_ids;
  end if;
  if cardinality(v_ids) > 0 then
    -- One statement, so one snapshot: a parent is missing exactly when the lock did not get it (absent, or deleted
    -- by a transaction that committed meanwhile), and a parent found is locked.
    execute format('with locked as materialized (select p.%2$I as id from %1$s as p where p.%2$I = any ($1) for key share of p)
                    select min(r.id) from unnest($1) as r(id) where not exists (select from locked as l where l.id = r.id)',
                   v_parent, v_key)
      using v_ids into v_missing;
    if v_missing is not null then
      raise exception using errcode = 'foreign_key_violation',
        message = format('insert or update on table "%s" violates foreign key constraint "%s"', tg_table_name, tg_argv[3]),
        detail = format('Key (%s)=(%s) is not present in table "%s".', v_column, v_missing,
                        (select c.relname from pg_class as c where c.oid = v_parent)),
        schema = tg_table_schema, table = tg_table_name, column = v_column, constraint = tg_argv[3];
    end if;
  end if;
  return null;
end
$$;
comment on function uns_meta.tg__fk_check() is
  'A child''s reference must name a parent row (23503 with the foreign key''s message); locks the parents FOR KEY SHARE. Once per INSERT statement, per row on an UPDATE of the key. Args: child column, parent table, parent column, constraint name.';
revoke all on function uns_meta.tg__fk_check() from public;

-- AFTER DELETE (statement, old_rows) and AFTER TRUNCATE of the parent: ON DELETE CASCADE.
-- tg_argv: child table (qualified), child column, parent column.
create function uns_meta.tg__fk_cascade_delete() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as $$
begin
  if tg_op = 'TRUNCATE' then
    -- DELETE, not TRUNCATE: the same statement may be truncating the child too, which TRUNCATE refuses.
    execute format('delete from %s', tg_argv[0]::regclass);
  else
    execute format('delete from %s as c where c.%I in (select o.%I from old_rows as o)', tg_argv[0]::regclass, tg_argv[1], tg_argv[2]);
  end if;
  return null;
end
$$;
comment on function uns_meta.tg__fk_cascade_delete() is
  'Deleting (or truncating) parent rows deletes the child rows that refer to them: ON DELETE CASCADE, once per statement. Args: child table, child column, parent column.';
revoke all on function uns_meta.tg__fk_cascade_delete() from public;

-- AFTER UPDATE (row, WHEN the key changed) of the parent: ON UPDATE NO ACTION, checked at the end of the statement
-- like the foreign key (an UPDATE that hands the old key to another row in the same statement passes).
-- tg_argv: child table (qualified), child column, parent column, constraint name.
create function uns_meta.tg__fk_no_action_update() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_child    regclass := tg_argv[0]::regclass;
  v_old_key  bigint;
  v_held     boolean;
begin
  execute format('select ($1).%I::bigint', tg_argv[2]) using old into v_old_key;
  execute format('select exists (select from %s as p where p.%I = $1)', tg_relid::regclass, tg_argv[2])
    using v_old_key into v_held;
  if v_held then
    return null;
  end if;
  execute format('select true from %s as c where c.%I = $1 limit 1 for key share of c', v_child, tg_argv[1])
    using v_old_key into v_held;
  if v_held then
    raise exception using errcode = 'foreign_key_violation',
      message = format('update or delete on table "%s" violates foreign key constraint "%s" on table "%s"',
                       tg_table_name, tg_argv[3], (select c.relname from pg_class as c where c.oid = v_child)),
      detail = format('Key (%s)=(%s) is still referenced from table "%s".', tg_argv[2], v_old_key,
                      (select c.relname from pg_class as c where c.oid = v_child)),
      schema = tg_table_schema, table = tg_table_name, constraint = tg_argv[3];
  end if;
  return null;
end
$$;
comment on function uns_meta.tg__fk_no_action_update() is
  'A parent key still referenced by child rows cannot change (23503 with the foreign key''s message): ON UPDATE NO ACTION. Args: child table, child column, parent column, constraint name.';
revoke all on function uns_meta.tg__fk_no_action_update() from public;

-- metrics.device_id -> devices (ON DELETE CASCADE).
create trigger _200_device_exists_insert after insert on uns_meta.metrics
  referencing new table as new_rows
  for each statement execute function uns_meta.tg__fk_check('device_id', 'uns_meta.devices', 'device_id', 'metrics_device_id_fkey');
create trigger _200_device_exists_update after update on uns_meta.metrics
  for each row when (old.device_id is distinct from new.device_id)
  execute function uns_meta.tg__fk_check('device_id', 'uns_meta.devices', 'device_id', 'metrics_device_id_fkey');
create trigger _200_delete_metrics after delete on uns_meta.devices
  referencing old table as old_rows
  for each statement execute function uns_meta.tg__fk_cascade_delete('uns_meta.metrics', 'device_id', 'device_id');
create trigger _200_truncate_metrics after truncate on uns_meta.devices
  for each statement execute function uns_meta.tg__fk_cascade_delete('uns_meta.metrics', 'device_id', 'device_id');
create trigger _200_device_id_referenced after update on uns_meta.devices
  for each row when (old.device_id is distinct from new.device_id)
  execute function uns_meta.tg__fk_no_action_update('uns_meta.metrics', 'device_id', 'device_id', 'metrics_device_id_fkey');

-- metric_versions.metric_id -> metrics (ON DELETE CASCADE; metrics.metric_id never changes).
create trigger _200_metric_exists_insert after insert on uns_meta.metric_versions
  referencing new table as new_rows
  for each statement execute function uns_meta.tg__fk_check('metric_id', 'uns_meta.metrics', 'metric_id', 'metric_versions_metric_id_fkey');
create trigger _200_metric_exists_update after update on uns_meta.metric_versions
  for each row when (old.metric_id is distinct from new.metric_id)
  execute function uns_meta.tg__fk_check('metric_id', 'uns_meta.metrics', 'metric_id', 'metric_versions_metric_id_fkey');
create trigger _200_delete_versions after delete on uns_meta.metrics
  referencing old table as old_rows
  for each statement execute function uns_meta.tg__fk_cascade_delete('uns_meta.metric_versions', 'metric_id', 'metric_id');
create trigger _200_truncate_versions after truncate on uns_meta.metrics
  for each statement execute function uns_meta.tg__fk_cascade_delete('uns_meta.metric_versions', 'metric_id', 'metric_id');

commit;
