-- Deploy uns_meta:triggers/catalog_changes to pg
-- requires: functions/ingest_birth functions/metric_history functions/enqueue_canary_sync tables/canary_property_names
begin;

-- The database's guarantee (docs/schema.md#the-trigger-guarantee): every write to the catalog is versioned and
-- reaches Canary, whoever makes it. Statement triggers with transition tables, so a statement of 10,000 rows costs
-- one pass over them, one version row per changed metric and one graphile_worker.add_jobs call.
--
-- * ingest_birth versions its own writes and enqueues its one job itself: it marks its transaction with
--   uns_meta.ingest_birth_active = 'on' while it runs, and these triggers leave its statements alone. (Enqueueing
--   through the triggers instead would take the devices of every row a birth writes from the transition tables --
--   826,880 property rows for the plant's first birth -- to learn the one device the birth already knows.)
-- * A writer that moves metrics.version itself (reapply_path_rules, ingest_birth) writes its own metric_versions
--   row; the metrics trigger versions only rows whose fields changed while their version did not.
-- * Anything else -- a DBA's UPDATE of a property or a metric, a changed key mapping -- gets one 'updated' (or
--   'retired' / 'revived') version per metric, changed_by = current_user, source naming the statement, and one
--   debounced sync job per affected device.
-- While a trigger writes metrics itself it sets uns_meta.catalog_change_active, so the metrics trigger does not
-- record that write a second time.

-- Takes the birth lock of each device (uns_meta.device_birth_lock, in device_id order) before a trigger numbers
-- versions of its metrics: a birth of the device that is running is waited for, and one that starts waits for this
-- transaction -- otherwise the birth would number its versions from what it read before this commit and fail on
-- uq_metric_versions_metric_version (test/database/catalog-changes-concurrency.test.ts).
create function uns_meta.lock_device_births(device_ids bigint[]) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  perform pg_advisory_xact_lock(uns_meta.device_birth_lock(d.group_id, d.edge, d.device))
     from uns_meta.devices as d
    where d.device_id = any (device_ids)
    order by d.device_id;
end
$$;
comment on function uns_meta.lock_device_births(bigint[]) is
  'Takes the advisory birth lock of each device (device_id order), as ingest_birth does for one.';
revoke all on function uns_meta.lock_device_births(bigint[]) from public;
grant execute on function uns_meta.lock_device_births(bigint[]) to uns_meta_app;

-- One version per metric for a statement's property changes, then one job per device.
create function uns_meta.record_property_changes(metric_ids bigint[], keys text[], changes text[], old_json jsonb[],
                                                 new_json jsonb[], source text) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_devices bigint[];
  v_outer   text := current_setting('uns_meta.catalog_change_active', true);
begin
  if coalesce(cardinality(metric_ids), 0) = 0 then
    return;
  end if;
  perform uns_meta.lock_device_births(array(select distinct m.device_id from uns_meta.metrics as m
                                             where m.metric_id = any (metric_ids)));
  perform set_config('uns_meta.catalog_change_active', 'on', true);
  -- The diff of each metric is aggregated once, grouped (a subquery per metric over the whole statement's changes
  -- would be quadratic: hours for a statement of 800,000 property rows).
  with c as (
    select * from unnest(metric_ids, keys, changes, old_json, new_json) as c(metric_id, key, change, old_json, new_json)
  ), diffs as (
    select c.metric_id,
           jsonb_build_object('properties', jsonb_strip_nulls(jsonb_build_object(
             'added', jsonb_object_agg(c.key, c.new_json) filter (where c.change = 'added'),
             'removed', jsonb_object_agg(c.key, c.old_json) filter (where c.change = 'removed'),
             'changed', jsonb_object_agg(c.key, jsonb_build_object('old', c.old_json, 'new', c.new_json))
                          filter (where c.change = 'changed')))) as diff
      from c
     group by c.metric_id
  ), bumped as (
    update uns_meta.metrics as m set version = m.version + 1
      from diffs as d
     where m.metric_id = d.metric_id
    returning m.metric_id, m.version, m.device_id, d.diff
  ), versions as (
    insert into uns_meta.metric_versions (metric_id, version_no, change_kind, changed_by, source, diff)
    select b.metric_id, b.version, 'updated', current_user, record_property_changes.source, b.diff
      from bumped as b
     order by b.metric_id
  )
  select array_agg(distinct b.device_id) into v_devices from bumped as b;
  perform set_config('uns_meta.catalog_change_active', coalesce(v_outer, ''), true);
  perform uns_meta.enqueue_canary_sync(v_devices);
end
$$;
comment on function uns_meta.record_property_changes(bigint[], text[], text[], jsonb[], jsonb[], text) is
  'Records one statement''s property changes (parallel arrays: metric, key, added/removed/changed, old and new typed JSON) as one version per metric and enqueues one sync per device.';
revoke all on function uns_meta.record_property_changes(bigint[], text[], text[], jsonb[], jsonb[], text) from public;
grant execute on function uns_meta.record_property_changes(bigint[], text[], text[], jsonb[], jsonb[], text) to uns_meta_app;

-- AFTER INSERT / UPDATE / DELETE on metric_properties, per statement (one trigger per event: transition tables
-- allow only one). Rows a statement wrote unchanged are no change.
create function uns_meta.tg_metric_properties__record_change() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
  set extra_float_digits = 1  -- Float and Double in version diffs: shortest exact text
as $$
declare
  v_ids bigint[]; v_keys text[]; v_changes text[]; v_old jsonb[]; v_new jsonb[];
begin
  if current_setting('uns_meta.ingest_birth_active', true) = 'on'
     or current_setting('uns_meta.catalog_change_active', true) = 'on' then
    return null;
  end if;
  if tg_op = 'INSERT' then
    select array_agg(n.metric_id), array_agg(n.key), array_agg('added'::text), array_agg(null::jsonb),
           array_agg(uns_meta.property_version_json(n.key_path, n.spb_type, n.is_null, n.type, n.value_int, n.value_long,
                       n.value_uint64, n.value_float, n.value_double, n.value_string, n.value_bool, n.value_datetime))
      into v_ids, v_keys, v_changes, v_old, v_new
      from new_rows as n;
  elsif tg_op = 'DELETE' then
    select array_agg(o.metric_id), array_agg(o.key), array_agg('removed'::text),
           array_agg(uns_meta.property_version_json(o.key_path, o.spb_type, o.is_null, o.type, o.value_int, o.value_long,
                       o.value_uint64, o.value_float, o.value_double, o.value_string, o.value_bool, o.value_datetime)),
           array_agg(null::jsonb)
      into v_ids, v_keys, v_changes, v_old, v_new
      from old_rows as o
     -- a metric deleted with its properties has no history left to record
     where exists (select from uns_meta.metrics as m where m.metric_id = o.metric_id);
  else
    -- An UPDATE may change the key (a removal and an addition) or leave a row as it was (no change).
    select array_agg(coalesce(n.metric_id, o.metric_id)), array_agg(coalesce(n.key, o.key)),
           array_agg(case when o.key is null then 'added' when n.key is null then 'removed' else 'changed' end),
           array_agg(case when o.key is not null then o.j end), array_agg(case when n.key is not null then n.j end)
      into v_ids, v_keys, v_changes, v_old, v_new
      from (select r.metric_id, r.key, uns_meta.property_version_json(r.key_path, r.spb_type, r.is_null, r.type, r.value_int,
                     r.value_long, r.value_uint64, r.value_float, r.value_double, r.value_string, r.value_bool,
                     r.value_datetime) as j
              from old_rows as r) as o
      full join (select r.metric_id, r.key, uns_meta.property_version_json(r.key_path, r.spb_type, r.is_null, r.type,
                          r.value_int, r.value_long, r.value_uint64, r.value_float, r.value_double, r.value_string,
                          r.value_bool, r.value_datetime) as j
                   from new_rows as r) as n
        on n.metric_id = o.metric_id and n.key = o.key
     where n.j is distinct from o.j;
  end if;
  perform uns_meta.record_property_changes(v_ids, v_keys, v_changes, v_old, v_new,
                                           format('%s on uns_meta.metric_properties', tg_op));
  return null;
end
$$;
comment on function uns_meta.tg_metric_properties__record_change() is
  'A write to metric_properties outside ingest_birth: one version per changed metric (changed_by = current_user) and one sync job per device, per statement.';
revoke all on function uns_meta.tg_metric_properties__record_change() from public;

create trigger _300_record_change_insert after insert on uns_meta.metric_properties
  referencing new table as new_rows
  for each statement execute function uns_meta.tg_metric_properties__record_change();
create trigger _300_record_change_update after update on uns_meta.metric_properties
  referencing old table as old_rows new table as new_rows
  for each statement execute function uns_meta.tg_metric_properties__record_change();
create trigger _300_record_change_delete after delete on uns_meta.metric_properties
  referencing old table as old_rows
  for each statement execute function uns_meta.tg_metric_properties__record_change();

-- AFTER UPDATE on metrics, per statement: a row whose fields changed while its version did not gets a version
-- (and its version moves); every row whose fields or version changed has its device (old and new) synced.
create function uns_meta.tg_metrics__record_change() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_devices bigint[];
  v_outer   text := current_setting('uns_meta.catalog_change_active', true);
begin
  if current_setting('uns_meta.ingest_birth_active', true) = 'on' or v_outer = 'on' then
    return null;
  end if;
  -- The birth lock only where this trigger numbers versions: a writer that moved the versions itself did so under
  -- its own lock (reapply_path_rules: SHARE ROW EXCLUSIVE on metrics, which a waiting birth would deadlock with).
  perform uns_meta.lock_device_births(array(
    select n.device_id from old_rows as o join new_rows as n using (metric_id)
     where o.version = n.version
       and (o.name, o.uns_path, o.datatype, o.alias, o.is_historical, o.is_transient, o.retired_at)
           is distinct from (n.name, n.uns_path, n.datatype, n.alias, n.is_historical, n.is_transient, n.retired_at)));
  perform set_config('uns_meta.catalog_change_active', 'on', true);
  with c as (
    select n.metric_id, n.device_id, o.device_id as old_device_id, o.version <> n.version as versioned,
           (case when o.name <> n.name then jsonb_build_object('name', jsonb_build_object('old', o.name, 'new', n.name)) else '{}' end
            || case when o.uns_path <> n.uns_path then jsonb_build_object('uns_path', jsonb_build_object('old', o.uns_path, 'new', n.uns_path)) else '{}' end
            || case when o.datatype <> n.datatype then jsonb_build_object('datatype', jsonb_build_object('old', o.datatype, 'new', n.datatype)) else '{}' end
            || case when o.alias is distinct from n.alias then jsonb_build_object('alias', jsonb_build_object('old', o.alias, 'new', n.alias)) else '{}' end
            || case when o.is_historical <> n.is_historical then jsonb_build_object('is_historical', jsonb_build_object('old', o.is_historical, 'new', n.is_historical)) else '{}' end
            || case when o.is_transient <> n.is_transient then jsonb_build_object('is_transient', jsonb_build_object('old', o.is_transient, 'new', n.is_transient)) else '{}' end
            || case when o.retired_at is distinct from n.retired_at then jsonb_build_object('retired_at', jsonb_build_object('old', o.retired_at, 'new', n.retired_at)) else '{}' end
           ) as diff,
           case when o.retired_at is null and n.retired_at is not null then 'retired'
                when o.retired_at is not null and n.retired_at is null then 'revived'
                else 'updated' end as change_kind
      from old_rows as o join new_rows as n using (metric_id)
  ), bumped as (
    update uns_meta.metrics as m set version = m.version + 1
      from c
     where c.metric_id = m.metric_id and not c.versioned and c.diff <> '{}'
    returning m.metric_id, m.version, c.diff, c.change_kind
  ), versions as (
    insert into uns_meta.metric_versions (metric_id, version_no, change_kind, changed_by, source, diff)
    select b.metric_id, b.version, b.change_kind, current_user, 'UPDATE on uns_meta.metrics', b.diff
      from bumped as b
     order by b.metric_id
  )
  select array_agg(distinct d.id) into v_devices
    from c cross join lateral (values (c.device_id), (c.old_device_id)) as d(id)
   where c.versioned or c.diff <> '{}';
  perform set_config('uns_meta.catalog_change_active', coalesce(v_outer, ''), true);
  perform uns_meta.enqueue_canary_sync(v_devices);
  return null;
end
$$;
comment on function uns_meta.tg_metrics__record_change() is
  'A write to metrics outside ingest_birth: a version for each metric whose fields changed without its version moving, and one sync job per affected device, per statement.';
revoke all on function uns_meta.tg_metrics__record_change() from public;

create trigger _300_record_change after update on uns_meta.metrics
  referencing old table as old_rows new table as new_rows
  for each statement execute function uns_meta.tg_metrics__record_change();

-- AFTER INSERT / UPDATE / DELETE on canary_property_names: the Canary name of a key changed for every metric that
-- has the key. Each gets a version (so the worker, which sends what differs from the version Canary confirmed,
-- sends it again under the new name) and its device a sync job.
create function uns_meta.tg_canary_property_names__record_change() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_keys    jsonb;
  v_devices bigint[];
  v_outer   text := current_setting('uns_meta.catalog_change_active', true);
begin
  if tg_op = 'INSERT' then
    select jsonb_object_agg(n.property_key, jsonb_build_object('old', null, 'new', jsonb_build_object('canary_name', n.canary_name, 'precedence', n.precedence)))
      into v_keys from new_rows as n;
  elsif tg_op = 'DELETE' then
    select jsonb_object_agg(o.property_key, jsonb_build_object('old', jsonb_build_object('canary_name', o.canary_name, 'precedence', o.precedence), 'new', null))
      into v_keys from old_rows as o;
  else
    select jsonb_object_agg(x.key, jsonb_build_object('old', x.old, 'new', x.new)) into v_keys
      from (select coalesce(n.property_key, o.property_key) as key,
                   case when o.property_key is not null then jsonb_build_object('canary_name', o.canary_name, 'precedence', o.precedence) end as old,
                   case when n.property_key is not null then jsonb_build_object('canary_name', n.canary_name, 'precedence', n.precedence) end as new
              from old_rows as o full join new_rows as n on n.property_key = o.property_key) as x
     where x.old is distinct from x.new;
  end if;
  if v_keys is null then
    return null;
  end if;
  perform uns_meta.lock_device_births(array(select distinct m.device_id from uns_meta.metrics as m
                                             where m.metric_id in (select p.metric_id from uns_meta.metric_properties as p
                                                                    where p.key in (select jsonb_object_keys(v_keys)))));
  perform set_config('uns_meta.catalog_change_active', 'on', true);
  with affected as (
    select p.metric_id, jsonb_object_agg(p.key, v_keys -> p.key) as mapping
      from uns_meta.metric_properties as p
     where p.key in (select jsonb_object_keys(v_keys))
     group by p.metric_id
  ), bumped as (
    update uns_meta.metrics as m set version = m.version + 1
      from affected as a
     where a.metric_id = m.metric_id
    returning m.metric_id, m.version, m.device_id, a.mapping
  ), versions as (
    insert into uns_meta.metric_versions (metric_id, version_no, change_kind, changed_by, source, diff)
    select b.metric_id, b.version, 'updated', current_user, format('%s on uns_meta.canary_property_names', tg_op),
           jsonb_build_object('canary_property_names', b.mapping)
      from bumped as b
     order by b.metric_id
  )
  select array_agg(distinct b.device_id) into v_devices from bumped as b;
  perform set_config('uns_meta.catalog_change_active', coalesce(v_outer, ''), true);
  perform uns_meta.enqueue_canary_sync(v_devices);
  return null;
end
$$;
comment on function uns_meta.tg_canary_property_names__record_change() is
  'A changed key mapping: a version (diff "canary_property_names") for every metric with the key, and one sync job per device, per statement.';
revoke all on function uns_meta.tg_canary_property_names__record_change() from public;

create trigger _300_record_change_insert after insert on uns_meta.canary_property_names
  referencing new table as new_rows
  for each statement execute function uns_meta.tg_canary_property_names__record_change();
create trigger _300_record_change_update after update on uns_meta.canary_property_names
  referencing old table as old_rows new table as new_rows
  for each statement execute function uns_meta.tg_canary_property_names__record_change();
create trigger _300_record_change_delete after delete on uns_meta.canary_property_names
  referencing old table as old_rows
  for each statement execute function uns_meta.tg_canary_property_names__record_change();

commit;
