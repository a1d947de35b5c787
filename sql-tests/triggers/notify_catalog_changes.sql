-- pgTAP: triggers/notify_catalog_changes, the NOTIFY behind `uns-meta watch`. What pgTAP can see: the triggers are
-- statement-level AFTER triggers with a transition table (one call per statement, never one per row), their
-- functions volatile and not executable by PUBLIC, and a statement of the worker's upsert (INSERT ... ON CONFLICT DO
-- UPDATE) leaves no state behind. That exactly one notification arrives per statement is observable only after
-- COMMIT, by a listener: test/watch/notify.test.ts counts them (10,000 versions in one statement, one upsert).
begin;
\ir ../_session.psql
select plan(14);

select has_trigger('uns_meta', 'metric_versions', '_900_notify_watch', 'metric_versions: the watch trigger');
select has_trigger('uns_meta', 'canary_sync_state', '_900_notify_watch_mark', 'canary_sync_state: the BEFORE INSERT mark');
select has_trigger('uns_meta', 'canary_sync_state', '_900_notify_watch_update', 'canary_sync_state: AFTER UPDATE');
select has_trigger('uns_meta', 'canary_sync_state', '_900_notify_watch_insert', 'canary_sync_state: AFTER INSERT');

-- tgtype bits: 1 ROW, 2 BEFORE, 4 INSERT, 16 UPDATE.
select is((select array_agg(format('%s %s %s %s %s', tgrelid::regclass, tgname,
                                   case when tgtype & 1 = 1 then 'row' else 'statement' end,
                                   case when tgtype & 2 = 2 then 'before' else 'after' end,
                                   case when tgtype & 4 = 4 then 'insert' when tgtype & 16 = 16 then 'update' else '?' end)
                            order by tgrelid::regclass::text, tgname)
             from pg_trigger where tgname like '\_900\_notify\_watch%' and not tgisinternal),
          array['uns_meta.canary_sync_state _900_notify_watch_insert statement after insert',
                'uns_meta.canary_sync_state _900_notify_watch_mark statement before insert',
                'uns_meta.canary_sync_state _900_notify_watch_update statement after update',
                'uns_meta.metric_versions _900_notify_watch statement after insert'],
          'four statement-level triggers, one event each');
select is((select array_agg(tgname::text order by tgname) from pg_trigger
            where tgname like '\_900\_notify\_watch%' and tgnewtable is not null),
          array['_900_notify_watch', '_900_notify_watch_insert', '_900_notify_watch_update'],
          'the AFTER triggers read the statement''s rows from a transition table');
select is((select array_agg(p.oid::regprocedure::text || ' ' || p.provolatile::text || ' ' || p.prosecdef::text order by p.proname) from pg_proc p
            where p.oid in ('uns_meta.tg_metric_versions__notify_watch()'::regprocedure, 'uns_meta.tg_canary_sync_state__notify_watch()'::regprocedure)),
          array['uns_meta.tg_canary_sync_state__notify_watch() v false', 'uns_meta.tg_metric_versions__notify_watch() v false'],
          'the trigger functions are volatile and SECURITY INVOKER');
select ok(not has_function_privilege('uns_meta_ro', 'uns_meta.tg_metric_versions__notify_watch()', 'execute'),
          'uns_meta_ro cannot call the trigger function');
select ok((select prosrc ~ 'pg_notify\(''uns_meta_catalog_changes''' from pg_proc where oid = 'uns_meta.tg_metric_versions__notify_watch()'::regprocedure),
          'metric_versions notifies on channel uns_meta_catalog_changes');

-- The worker's upsert (src/worker/sql/confirm.sql's shape), one row inserted and one updated: the statement's state
-- is gone afterwards, so a later plain UPDATE sends its own notification.
insert into uns_meta.devices (group_id, edge, device, uns_path, country, business_unit)
values ('G', 'E', 'D', 'G/E/D', 'E', 'D');
insert into uns_meta.metrics (device_id, name, uns_path, datatype)
select device_id, n, 'G/E/D/' || n, 10 from uns_meta.devices cross join (values ('m1'), ('m2')) as v(n) where uns_path = 'G/E/D';
insert into uns_meta.canary_sync_state (metric_id, confirmed_version, outcome)
select metric_id, 1, 'written' from uns_meta.metrics where name = 'm1';
select is(current_setting('uns_meta.watch_insert_running', true), '', 'a plain INSERT clears its mark');
insert into uns_meta.canary_sync_state as s (metric_id, confirmed_version, outcome)
select metric_id, 1, 'written' from uns_meta.metrics where uns_path like 'G/E/D/%'
on conflict (metric_id) do update set confirmed_version = excluded.confirmed_version;
select is(current_setting('uns_meta.watch_insert_running', true), '', 'an upsert clears its mark');
select is(current_setting('uns_meta.watch_pending_confirmations', true), '', 'an upsert sends what its UPDATE half saw');
update uns_meta.canary_sync_state set outcome = 'unchanged' where metric_id in (select metric_id from uns_meta.metrics where uns_path like 'G/E/D/%');
select is(current_setting('uns_meta.watch_pending_confirmations', true), '', 'a plain UPDATE leaves nothing pending');
select is((select count(*)::int from uns_meta.canary_sync_state where outcome = 'unchanged'), 2, 'the statements wrote their rows');

select * from finish();
rollback;
