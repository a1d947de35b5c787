-- pgTAP: uns_meta.ingest_birth and names that cannot get a unique UNS path or Canary id. Two names of one
-- birth that normalise to the same uns_path (`A/b c` and `A/b  c`, or a composed and a decomposed accent) or
-- to the same canary_id (`a.b/c` and `a/b.c`): the later one is rejected with a reason, returned in
-- `rejections` and kept in uns_meta.ingest_rejections with topic, name and time; the rest of the birth applies.
-- The same for a new name colliding with an existing metric of another device. A device whose own path is
-- taken is refused as a whole (U0004).
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local extra_float_digits = 1;
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(25);
\ir _helpers.psql

-- 1. Collisions inside one birth -------------------------------------------------------------------------------
select jsonb_build_array(
         '{"name": "A/b c", "datatype": 9}'::jsonb,
         '{"name": "A/b  c", "datatype": 10}'::jsonb,
         '{"name": "a.b/c", "datatype": 9}'::jsonb,
         '{"name": "a/b.c", "datatype": 9}'::jsonb,
         jsonb_build_object('name', 'P/Outão/x', 'datatype', 9),
         jsonb_build_object('name', 'P/Outa' || U&'\0303' || 'o/x', 'datatype', 9),   -- the same name, decomposed
         '{"name": "ok", "datatype": 11}'::jsonb,
         '{"name": "ok", "datatype": 12}'::jsonb,
         '{"name": "/ _ /-", "datatype": 9}'::jsonb) as d1 \gset
set local role uns_meta_app;
select pg_temp.birth('D1', :'d1', '2026-11-21T10:00:00Z') as r1 \gset
reset role;

select is(pg_temp.summary(:'r1') -> 'metrics', '{"inserted": 4, "updated": 0, "revived": 0, "unchanged": 0, "retired": 0, "rejected": 5}'::jsonb,
          'one birth, 9 names: 4 inserted, 5 rejected');
select is((:'r1'::jsonb) -> 'rejections',
          jsonb_build_array(
            '{"metric": "A/b  c", "reason": "its UNS path G/E/D1/A/b c is also the path of A/b c, earlier in this birth"}'::jsonb,
            '{"metric": "a/b.c", "reason": "its Canary id G.E.D1.a.b.c is also the Canary id of a.b/c, earlier in this birth"}'::jsonb,
            jsonb_build_object('metric', 'P/Outa' || U&'\0303' || 'o/x',
                               'reason', 'its UNS path G/E/D1/P/Outão/x is also the path of P/Outão/x, earlier in this birth'),
            '{"metric": "ok", "reason": "the name appears twice in this birth"}'::jsonb,
            '{"metric": "/ _ /-", "reason": "the name normalises to an empty UNS path"}'::jsonb),
          'rejections in payload order, each naming the later name and why: same path (whitespace, NFC), same Canary id, repeated name, empty path');
select results_eq($$select name, uns_path, canary_id, datatype from uns_meta.metrics order by name collate "C"$$,
                  $$values ('A/b c', 'G/E/D1/A/b c', 'G.E.D1.A.b c', 9::bigint), ('P/Outão/x', 'G/E/D1/P/Outão/x', 'G.E.D1.P.Outão.x', 9),
                           ('a.b/c', 'G/E/D1/a.b/c', 'G.E.D1.a.b.c', 9), ('ok', 'G/E/D1/ok', 'G.E.D1.ok', 11)$$,
                  'the first of each colliding pair is applied with its own values (the later duplicate "ok" did not overwrite it)');
select is((select count(*)::int from uns_meta.metric_versions), 4, 'versions only for the applied metrics');
select results_eq(
  $$select topic, metric_name, reason, detail, received_at, rejected_at = now() from uns_meta.ingest_rejections order by rejection_id$$,
  $$values ('spBv1.0/G/DBIRTH/E/D1', 'A/b  c', 'its UNS path G/E/D1/A/b c is also the path of A/b c, earlier in this birth',
            '{"uns_path": "G/E/D1/A/b c", "canary_id": "G.E.D1.A.b c", "payload_index": 1}'::jsonb, '2026-11-21 10:00:00+00'::timestamptz, true),
           ('spBv1.0/G/DBIRTH/E/D1', 'a/b.c', 'its Canary id G.E.D1.a.b.c is also the Canary id of a.b/c, earlier in this birth',
            '{"uns_path": "G/E/D1/a/b.c", "canary_id": "G.E.D1.a.b.c", "payload_index": 3}', '2026-11-21 10:00:00+00', true),
           ('spBv1.0/G/DBIRTH/E/D1', 'P/Outa' || U&'\0303' || 'o/x', 'its UNS path G/E/D1/P/Outão/x is also the path of P/Outão/x, earlier in this birth',
            '{"uns_path": "G/E/D1/P/Outão/x", "canary_id": "G.E.D1.P.Outão.x", "payload_index": 5}', '2026-11-21 10:00:00+00', true),
           ('spBv1.0/G/DBIRTH/E/D1', 'ok', 'the name appears twice in this birth',
            '{"uns_path": "G/E/D1/ok", "canary_id": "G.E.D1.ok", "payload_index": 7}', '2026-11-21 10:00:00+00', true),
           ('spBv1.0/G/DBIRTH/E/D1', '/ _ /-', 'the name normalises to an empty UNS path',
            '{"uns_path": null, "canary_id": null, "payload_index": 8}', '2026-11-21 10:00:00+00', true)$$,
  'each rejection is kept in ingest_rejections: topic, name as received, reason, paths and payload index, received_at, rejected_at');
select is(((:'r1'::jsonb) ->> 'jobs_enqueued')::int, 1, 'the applied part of the birth enqueues the sync as usual');

-- "The later one": the same pair in the other order rejects the other name.
set local role uns_meta_app;
select pg_temp.birth('D2', '[{"name": "A/b  c", "datatype": 10}, {"name": "A/b c", "datatype": 9}]') as r2 \gset
reset role;
select is((:'r2'::jsonb) -> 'rejections',
          '[{"metric": "A/b c", "reason": "its UNS path G/E/D2/A/b c is also the path of A/b  c, earlier in this birth"}]'::jsonb,
          'payload order decides: with `A/b  c` first, `A/b c` is the one rejected');
select results_eq($$select name, uns_path, datatype from uns_meta.metrics where device_id = pg_temp.device_id('D2')$$,
                  $$values ('A/b  c', 'G/E/D2/A/b c', 10::bigint)$$, '... and `A/b  c` holds the path G/E/D2/A/b c');

-- Re-birth of D1: the same names are rejected again (and logged again); nothing else changes.
create temp table metrics_before as select * from uns_meta.metrics;
set local role uns_meta_app;
select pg_temp.birth('D1', :'d1', '2026-11-21T11:00:00Z') as r3 \gset
reset role;
select is(pg_temp.summary(:'r3') -> 'metrics', '{"inserted": 0, "updated": 0, "revived": 0, "unchanged": 4, "retired": 0, "rejected": 5}'::jsonb,
          're-birth: the 4 applied metrics unchanged, the same 5 names rejected');
select is((select count(*)::int from uns_meta.ingest_rejections where received_at = '2026-11-21 11:00:00+00'), 5,
          're-birth: the 5 rejections are logged again with the new received_at');
select bag_eq($$select * from uns_meta.metrics$$, $$select * from metrics_before$$,
              're-birth: no metric changed and none was retired (a rejected name is not a missing one)');
select is(((:'r3'::jsonb) ->> 'jobs_enqueued')::int, 0, 're-birth: no job (nothing changed)');

-- 2. A new name colliding with an existing metric of another device ------------------------------------------
-- Canary id: device `D1.a` + metric `b/c` gives G.E.D1.a.b.c, the Canary id of D1's `a.b/c`.
set local role uns_meta_app;
select pg_temp.birth('D1.a', '[{"name": "b/c", "datatype": 9}, {"name": "free", "datatype": 9}]', '2026-11-21T12:00:00Z') as r4 \gset
reset role;
select is((:'r4'::jsonb) -> 'rejections',
          jsonb_build_array(jsonb_build_object('metric', 'b/c', 'reason',
            format('its Canary id G.E.D1.a.b.c belongs to metric %s (a.b/c of device %s)', pg_temp.metric_id('D1', 'a.b/c'), pg_temp.device_id('D1')))),
          'a new name whose Canary id belongs to a metric of another device is rejected, naming that metric and device');
select results_eq($$select name from uns_meta.metrics where device_id = pg_temp.device_id('D1.a')$$, $$values ('free')$$,
                  '... and the rest of that birth applies');
select is((select canary_id from uns_meta.metrics where metric_id = pg_temp.metric_id('D1', 'a.b/c')), 'G.E.D1.a.b.c',
          '... and the existing metric keeps its Canary id');
select results_eq($$select topic, metric_name, received_at from uns_meta.ingest_rejections where topic = 'spBv1.0/G/DBIRTH/E/D1.a'$$,
                  $$values ('spBv1.0/G/DBIRTH/E/D1.a', 'b/c', '2026-11-21 12:00:00+00'::timestamptz)$$, '... and kept in ingest_rejections');

-- UNS path: a DBA rewrite rule maps D3's metric paths onto D1's folder.
insert into uns_meta.path_rewrite_rules (pattern, replacement, description)
  values ('^G/E/D3/(.+)$', 'G/E/D1/\1', 'test: D3 metrics land in D1''s folder');
set local role uns_meta_app;
select pg_temp.birth('D3', '[{"name": "ok", "datatype": 9}, {"name": "own", "datatype": 9}]', '2026-11-21T12:00:00Z') as r5 \gset
reset role;
select is((:'r5'::jsonb) -> 'rejections',
          jsonb_build_array(jsonb_build_object('metric', 'ok', 'reason',
            format('its UNS path G/E/D1/ok belongs to metric %s (ok of device %s)', pg_temp.metric_id('D1', 'ok'), pg_temp.device_id('D1')))),
          'a new name whose UNS path belongs to a metric of another device is rejected, naming it');
select results_eq($$select name, uns_path from uns_meta.metrics where device_id = pg_temp.device_id('D3')$$, $$values ('own', 'G/E/D1/own')$$,
                  '... and the rest of that birth applies (the rule''s path for `own` is free)');
select is((select count(*)::int from uns_meta.metrics where uns_path = 'G/E/D1/ok'), 1, '... and G/E/D1/ok still belongs to D1 alone');

-- A retired metric keeps its path: a new name of another device cannot take it either.
set local role uns_meta_app;
select pg_temp.birth('D1', jsonb_path_query_array(:'d1', '$[*] ? (@.name != "ok")'), '2026-11-21T13:00:00Z') as r6 \gset
reset role;
select isnt((select retired_at from uns_meta.metrics where metric_id = pg_temp.metric_id('D1', 'ok')), null, 'D1''s `ok` is retired');
set local role uns_meta_app;
select pg_temp.birth('D3', '[{"name": "ok", "datatype": 9}, {"name": "own", "datatype": 9}]', '2026-11-21T13:00:00Z') as r7 \gset
reset role;
select is(jsonb_array_length((:'r7'::jsonb) -> 'rejections'), 1, 'the path of a retired metric stays reserved for it');

-- 3. The device's own path is taken: U0004, nothing written ------------------------------------------------------
select pg_temp.catalog_digest() as digest_before \gset
set local role uns_meta_app;
select throws_ok($$select pg_temp.birth('D1_', '[{"name": "x", "datatype": 9}]')$$, 'U0004', null,
                 'a device whose normalised path (G/E/D1_ -> G/E/D1) is another device''s: SQLSTATE U0004');
select is(pg_temp.error_of($$select pg_temp.birth('D1_', '[{"name": "x", "datatype": 9}]')$$),
          format('U0004: ingest_birth: the UNS path G/E/D1 of topic spBv1.0/G/DBIRTH/E/D1_ is already the path of device %s (G/E/D1); change the path rules or the device id',
                 pg_temp.device_id('D1')),
          'the U0004 message names the path, the topic and the device that owns the path');
reset role;
select alike(pg_temp.error_of($$select pg_temp.birth('D1_', '[{"name": "x", "datatype": 9}]')$$),
             'U0004: ingest_birth: the UNS path G/E/D1 of topic spBv1.0/G/DBIRTH/E/D1\_ is already the path of %device ' || pg_temp.device_id('D1') || ' (G/E/D1)%',
             'the U0004 message names the path, the topic and the device that owns it');
select is(pg_temp.catalog_digest(), :'digest_before', 'a U0004 birth leaves nothing behind (no device, metric, rejection or job)');

select * from finish();
rollback;
