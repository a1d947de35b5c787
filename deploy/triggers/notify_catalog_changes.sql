-- Deploy uns_meta:triggers/notify_catalog_changes to pg
-- requires: tables/metric_versions tables/canary_sync_state triggers/catalog_changes
begin;

-- `uns-meta watch` (docs/operations.md#watching-the-catalog-uns-meta-watch): a live feed of catalog changes, from
-- NOTIFY on the channel uns_meta_catalog_changes. Every catalog change is a metric_versions row (created, updated --
-- a property, a field, a rename -- retired, revived: triggers/catalog_changes), and a Canary confirmation is a row
-- of canary_sync_state. Statement triggers with transition tables send ONE pg_notify per statement, never one per
-- row or property: a statement versioning 10,000 metrics sends one notification. NOTIFY payloads are limited to
-- 8000 bytes, so the payload only says where to look (compact JSON):
--   {"kind": "versions", "count": <rows>, "first": <min version_id>, "last": <max version_id>, "devices": [<device_id>, ...]}
--   {"kind": "confirmations", "count": <rows>, "from": <min confirmed_at>, "to": <max confirmed_at>, "devices": [...]}
-- "devices" is null when the statement touched more than 200 devices (the watcher then reads the range unfiltered
-- by device id). The watcher reads the details (src/watch/sql/) with its own filters. NOTIFY is delivered at commit,
-- and not at all when the transaction rolls back.

-- AFTER INSERT on metric_versions, per statement (the table is append-only: INSERT is its only change).
create function uns_meta.tg_metric_versions__notify_watch() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_count   bigint;
  v_first   bigint;
  v_last    bigint;
  v_low     bigint;
  v_high    bigint;
  v_metrics bigint;
  v_devices bigint[];
begin
  select count(*), min(n.version_id), max(n.version_id), min(n.metric_id), max(n.metric_id), count(distinct n.metric_id)
    into v_count, v_first, v_last, v_low, v_high, v_metrics
    from new_rows as n;
  if v_count = 0 then
    return null;
  end if;
  -- The devices of the statement's metrics, read in proportion to the statement, never the whole of metrics (a join
  -- of new_rows with metrics is planned as a sequential scan of it: chunk after chunk of a large birth read every
  -- metric, docs/sql-api.md "Speed"). Metrics that are a dense stretch of metric_id (a birth's new metrics: ids of
  -- one INSERT) are read as that stretch of the primary key; scattered ones, one primary-key probe each.
  if v_high - v_low < 2 * v_metrics then
    select array_agg(x.device_id order by x.device_id) into v_devices
      from (select distinct m.device_id from uns_meta.metrics as m
             where m.metric_id between v_low and v_high and m.metric_id in (select n.metric_id from new_rows as n)) as x;
  else
    select array_agg(x.device_id order by x.device_id) into v_devices
      from (select distinct m.device_id
              from (select distinct n.metric_id from new_rows as n) as n
             cross join lateral (select m.device_id from uns_meta.metrics as m where m.metric_id = n.metric_id limit 1) as m) as x;
  end if;
  perform pg_notify('uns_meta_catalog_changes', json_build_object(
            'kind', 'versions', 'count', v_count, 'first', v_first, 'last', v_last,
            'devices', case when cardinality(v_devices) <= 200 then v_devices end)::text);
  return null;
end
$$;
comment on function uns_meta.tg_metric_versions__notify_watch() is
  'One NOTIFY uns_meta_catalog_changes per statement that wrote versions: kind, count, version_id range, device ids (uns-meta watch).';
revoke all on function uns_meta.tg_metric_versions__notify_watch() from public;

create trigger _900_notify_watch after insert on uns_meta.metric_versions
  referencing new table as new_rows
  for each statement execute function uns_meta.tg_metric_versions__notify_watch();

-- canary_sync_state is written by the worker's INSERT ... ON CONFLICT DO UPDATE (src/worker/sql/confirm.sql), which
-- fires the statement triggers of both events: BEFORE INSERT, then AFTER UPDATE (the rows updated), then AFTER INSERT
-- (the rows inserted), each with its own transition tables. So that such a statement sends one notification, not
-- two: the BEFORE INSERT trigger marks the statement (uns_meta.watch_insert_running, local to the transaction and
-- undone with a rolled-back subtransaction), the AFTER UPDATE trigger of a marked statement leaves what it saw in
-- uns_meta.watch_pending_confirmations for the AFTER INSERT trigger, which sends both; a plain UPDATE sends its own.
create function uns_meta.tg_canary_sync_state__notify_watch() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_seen    jsonb;
  v_pending jsonb;
  v_devices bigint[];
begin
  if tg_when = 'BEFORE' then
    perform set_config('uns_meta.watch_insert_running', 'on', true);
    perform set_config('uns_meta.watch_pending_confirmations', '', true);
    return null;
  end if;
  select jsonb_build_object('count', count(*), 'from', min(n.confirmed_at), 'to', max(n.confirmed_at),
                            'devices', coalesce(jsonb_agg(distinct m.device_id), '[]'))
    into v_seen
    from new_rows as n join uns_meta.metrics as m using (metric_id);
  if tg_op = 'UPDATE' and current_setting('uns_meta.watch_insert_running', true) = 'on' then
    perform set_config('uns_meta.watch_pending_confirmations', v_seen::text, true);
    return null;
  end if;
  if tg_op = 'INSERT' then
    v_pending := nullif(current_setting('uns_meta.watch_pending_confirmations', true), '')::jsonb;
    perform set_config('uns_meta.watch_insert_running', '', true);
    perform set_config('uns_meta.watch_pending_confirmations', '', true);
    if (v_pending ->> 'count')::bigint > 0 then
      v_seen := case when (v_seen ->> 'count')::bigint = 0 then v_pending else jsonb_build_object(
                  'count', (v_seen ->> 'count')::bigint + (v_pending ->> 'count')::bigint,
                  'from', least((v_seen ->> 'from')::timestamptz, (v_pending ->> 'from')::timestamptz),
                  'to', greatest((v_seen ->> 'to')::timestamptz, (v_pending ->> 'to')::timestamptz),
                  'devices', (v_seen -> 'devices') || (v_pending -> 'devices')) end;
    end if;
  end if;
  if (v_seen ->> 'count')::bigint = 0 then
    return null;
  end if;
  select array_agg(distinct d::bigint order by d::bigint) into v_devices from jsonb_array_elements_text(v_seen -> 'devices') as d;
  perform pg_notify('uns_meta_catalog_changes', json_build_object(
            'kind', 'confirmations', 'count', (v_seen ->> 'count')::bigint,
            'from', (v_seen ->> 'from')::timestamptz, 'to', (v_seen ->> 'to')::timestamptz,
            'devices', case when cardinality(v_devices) <= 200 then v_devices end)::text);
  return null;
end
$$;
comment on function uns_meta.tg_canary_sync_state__notify_watch() is
  'One NOTIFY uns_meta_catalog_changes per statement that confirmed metrics (an upsert included): kind, count, confirmed_at range, device ids (uns-meta watch).';
revoke all on function uns_meta.tg_canary_sync_state__notify_watch() from public;

create trigger _900_notify_watch_mark before insert on uns_meta.canary_sync_state
  for each statement execute function uns_meta.tg_canary_sync_state__notify_watch();
create trigger _900_notify_watch_update after update on uns_meta.canary_sync_state
  referencing new table as new_rows
  for each statement execute function uns_meta.tg_canary_sync_state__notify_watch();
create trigger _900_notify_watch_insert after insert on uns_meta.canary_sync_state
  referencing new table as new_rows
  for each statement execute function uns_meta.tg_canary_sync_state__notify_watch();

commit;
