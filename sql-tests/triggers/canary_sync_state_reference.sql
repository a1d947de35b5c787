-- pgTAP: triggers/canary_sync_state_reference. canary_sync_state.metric_id -> metrics is no longer a FOREIGN KEY checked
-- per row but the statement triggers of triggers/statement_foreign_keys; every guarantee of the foreign key is tried
-- here: 23503 with its message for a missing metric on INSERT (the worker's upsert included) and UPDATE, the metric
-- locked FOR KEY SHARE by the writer, ON DELETE CASCADE and TRUNCATE ... CASCADE from metrics.
begin;
\ir ../_session.psql
select plan(16);

create function pg_temp.locked_by_me(metric bigint) returns boolean language sql as $$
  select xmax::text = (pg_current_xact_id()::text::bigint % 4294967296)::text from uns_meta.metrics where metric_id = metric $$;

-- Structure -----------------------------------------------------------------------------------------------------
select is((select array_agg(conname::text) from pg_constraint where contype = 'f' and conrelid = 'uns_meta.canary_sync_state'::regclass),
          null, 'canary_sync_state has no FOREIGN KEY (its reference is the triggers below)');
-- What the change is for: nothing fires per row when the worker inserts confirmations (a foreign key fires
-- RI_FKey_check_ins for each row, which ran one lookup per metric: 100,000 for a 100,000-metric sync).
-- tgtype bits: 1 ROW, 4 INSERT.
select is((select array_agg(tgfoid::regproc::text) from pg_trigger
            where tgrelid = 'uns_meta.canary_sync_state'::regclass and tgtype & 1 = 1 and tgtype & 4 = 4),
          null, 'no per-row trigger fires on INSERT into canary_sync_state');
select is((select array_agg(format('%s %s %s %s(%s)', tgrelid::regclass, tgname, case when tgtype & 1 = 1 then 'row' else 'statement' end,
                                   tgfoid::regproc, replace(rtrim(encode(tgargs, 'escape'), '\000'), '\000', ',')) order by tgrelid::regclass::text, tgname)
             from pg_trigger
            where (tgrelid = 'uns_meta.canary_sync_state'::regclass or tgname like '%sync\_state')
              and tgfoid in ('uns_meta.tg__fk_check'::regproc, 'uns_meta.tg__fk_cascade_delete'::regproc)),
          array['uns_meta.canary_sync_state _200_sync_state_metric_exists_insert statement uns_meta.tg__fk_check(metric_id,uns_meta.metrics,metric_id,canary_sync_state_metric_id_fkey)',
                'uns_meta.canary_sync_state _200_sync_state_metric_exists_update row uns_meta.tg__fk_check(metric_id,uns_meta.metrics,metric_id,canary_sync_state_metric_id_fkey)',
                'uns_meta.metrics _200_delete_sync_state statement uns_meta.tg__fk_cascade_delete(uns_meta.canary_sync_state,metric_id,metric_id)',
                'uns_meta.metrics _200_truncate_sync_state statement uns_meta.tg__fk_cascade_delete(uns_meta.canary_sync_state,metric_id,metric_id)'],
          'the four reference triggers, with their arguments');
select ok((select pg_get_triggerdef(oid) ~ 'WHEN \(\(old\.metric_id IS DISTINCT FROM new\.metric_id\)\)' from pg_trigger
            where tgname = '_200_sync_state_metric_exists_update'),
          'the per-row UPDATE trigger fires only for a row whose metric_id changed (the worker''s upsert never changes it)');

-- Data: a device with three metrics.
insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'D1', 'G/E/D1');
insert into uns_meta.metrics (device_id, name, uns_path, datatype)
  select (select device_id from uns_meta.devices where device = 'D1'), n, 'G/E/D1/' || n, 10 from unnest(array['a', 'b', 'c']) as n;
create temp table m as select name, metric_id from uns_meta.metrics;
grant select on m to uns_meta_app;
create function pg_temp.m(n text) returns bigint language sql as $$ select metric_id from m where name = n $$;

-- INSERT and the worker's upsert -----------------------------------------------------------------------------------
select is(pg_temp.locked_by_me(pg_temp.m('a')), false, 'metric a is not locked before it is confirmed');
-- A plain statement of the top transaction (not lives_ok's subtransaction), so its lock shows as the top xid.
set local role uns_meta_app;
insert into uns_meta.canary_sync_state (metric_id, confirmed_version, outcome) select metric_id, 1, 'written' from m where name in ('a', 'b');
reset role;
select is((select count(*)::int from uns_meta.canary_sync_state), 2, 'uns_meta_app confirms metrics a and b (the check locks them as the owner)');
select is(pg_temp.locked_by_me(pg_temp.m('a')), true, '... which locked metric a FOR KEY SHARE until the transaction ends');
select is(pg_temp.locked_by_me(pg_temp.m('c')), false, '... and not metric c');
select is(pg_temp.fk_error_of($$insert into uns_meta.canary_sync_state (metric_id, confirmed_version, outcome) values (-1, 1, 'written')$$),
          '23503 canary_sync_state_metric_id_fkey metric_id: insert or update on table "canary_sync_state" violates foreign key constraint "canary_sync_state_metric_id_fkey" | Key (metric_id)=(-1) is not present in table "metrics".',
          'a confirmation of a missing metric: 23503, the foreign key''s message, detail, constraint and column');
set local role uns_meta_app;
select is(pg_temp.fk_error_of($$insert into uns_meta.canary_sync_state as s (metric_id, confirmed_version, outcome)
                                select id, 2, 'written' from unnest(array[(select pg_temp.m('a')), (select pg_temp.m('c')), -7]) as id
                                on conflict (metric_id) do update set confirmed_version = excluded.confirmed_version$$),
          '23503 canary_sync_state_metric_id_fkey metric_id: insert or update on table "canary_sync_state" violates foreign key constraint "canary_sync_state_metric_id_fkey" | Key (metric_id)=(-7) is not present in table "metrics".',
          'the worker''s upsert (src/worker/sql/confirm.sql) naming a missing metric among others: the same 23503, as uns_meta_app');
select lives_ok($$insert into uns_meta.canary_sync_state as s (metric_id, confirmed_version, outcome)
                  select metric_id, 2, 'written' from m
                  on conflict (metric_id) do update set confirmed_version = excluded.confirmed_version$$,
                'an upsert that updates a and b and inserts c passes');
reset role;
select results_eq($$select metric_id, confirmed_version from uns_meta.canary_sync_state order by metric_id$$,
                  $$select metric_id, 2 from m order by metric_id$$, '... and recorded all three');

-- UPDATE of metric_id --------------------------------------------------------------------------------------------
select is(pg_temp.fk_error_of(format($$update uns_meta.canary_sync_state set metric_id = -4 where metric_id = %s$$, pg_temp.m('c'))),
          '23503 canary_sync_state_metric_id_fkey metric_id: insert or update on table "canary_sync_state" violates foreign key constraint "canary_sync_state_metric_id_fkey" | Key (metric_id)=(-4) is not present in table "metrics".',
          'moving a confirmation to a missing metric: the same 23503');

-- ON DELETE CASCADE, TRUNCATE ... CASCADE -----------------------------------------------------------------------
select lives_ok(format($$delete from uns_meta.metrics where metric_id = %s$$, pg_temp.m('a')), 'deleting metric a');
select results_eq($$select metric_id from uns_meta.canary_sync_state order by metric_id$$,
                  $$select metric_id from m where name <> 'a' order by metric_id$$, '... deletes its confirmation and no other (ON DELETE CASCADE)');
truncate uns_meta.metrics cascade;
select is((select count(*)::int from uns_meta.canary_sync_state), 0, 'TRUNCATE metrics CASCADE empties canary_sync_state');

select * from finish();
rollback;
