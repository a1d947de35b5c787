-- pgTAP: uns_meta.ingest_birth and hostile metric names (issue 14). A name segment that normalises to nothing
-- (an emoji, ` `, `-`, an empty segment as in `a//b`) is rejected instead of silently dropped; a metric whose
-- Canary id would be a tag and a folder at once (`String` and `String/empty`, `Float/0` and `Float/0.1f`) is
-- rejected, naming the other metric, within a birth and against the catalog; a metric the caller rejects
-- ("reject", the ingestor's NUL case) is recorded and not retired; over-long names and keys are refused with a
-- reason; timestamps far in the past or future, zero metrics, control characters and SQL fragments in names,
-- keys and values are stored verbatim. Expected values are written by hand.
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
set local statement_timeout = '60s';
set local lock_timeout = '10s';
select plan(26);
\ir _helpers.psql

-- 1. Segments that normalise to nothing --------------------------------------------------------------------
set local role uns_meta_app;
select pg_temp.birth('D1', jsonb_build_array(
         '{"name": "Plant/Kiln/Temp", "datatype": 9}'::jsonb,
         '{"name": "Plant/ / _ /-", "datatype": 9}'::jsonb,
         '{"name": "Plant/🔥/Flame", "datatype": 9}'::jsonb,
         '{"name": "Plant//Gap", "datatype": 9}'::jsonb,
         '{"name": "/ _ /-", "datatype": 9}'::jsonb,
         '{"name": "Plant/Kiln/Fan 🔥", "datatype": 9}'::jsonb), '2026-11-21T10:00:00Z') as r1 \gset
reset role;
select is((:'r1'::jsonb) -> 'rejections', jsonb_build_array(
  '{"metric": "Plant/ / _ /-", "reason": "its name segment 2 (\" \") normalises to nothing under the path rules and would be dropped from the path; rename it at the edge or add a normalisation rule"}'::jsonb,
  '{"metric": "Plant/🔥/Flame", "reason": "its name segment 2 (\"🔥\") normalises to nothing under the path rules and would be dropped from the path; rename it at the edge or add a normalisation rule"}'::jsonb,
  '{"metric": "Plant//Gap", "reason": "its name segment 2 (\"\") normalises to nothing under the path rules and would be dropped from the path; rename it at the edge or add a normalisation rule"}'::jsonb,
  '{"metric": "/ _ /-", "reason": "the name normalises to an empty UNS path"}'::jsonb),
  'a segment that normalises to nothing rejects the metric, naming the segment; a name with nothing left keeps its reason');
select results_eq($$select name, uns_path from uns_meta.metrics order by name collate "C"$$,
                  $$values ('Plant/Kiln/Fan 🔥', 'G/E/D1/Plant/Kiln/Fan'), ('Plant/Kiln/Temp', 'G/E/D1/Plant/Kiln/Temp')$$,
                  'Plant/ / _ /- did not become the tag G/E/D1/Plant, the folder of Plant/Kiln/Temp; an emoji inside a segment still normalises');
select is((select count(*)::int from uns_meta.ingest_rejections where topic = 'spBv1.0/G/DBIRTH/E/D1'), 4,
          'the four rejections are kept in ingest_rejections');

-- 2. A tag that would be the folder of another tag, within one birth ---------------------------------------
set local role uns_meta_app;
select pg_temp.birth('D2', jsonb_build_array(
         '{"name": "String", "datatype": 12}'::jsonb,
         '{"name": "String/empty", "datatype": 12}'::jsonb,
         '{"name": "a/b", "datatype": 1}'::jsonb,
         '{"name": "a", "datatype": 1}'::jsonb,
         '{"name": "Float/0.1f", "datatype": 9}'::jsonb,
         '{"name": "Float/0", "datatype": 9}'::jsonb,
         '{"name": "x/y/z", "datatype": 9}'::jsonb,
         '{"name": "x/y", "datatype": 9}'::jsonb,
         '{"name": "x", "datatype": 9}'::jsonb), '2026-11-21T10:00:00Z') as r2 \gset
reset role;
select is((:'r2'::jsonb) -> 'rejections', jsonb_build_array(
  '{"metric": "String/empty", "reason": "its Canary id G.E.D2.String.empty lies under G.E.D2.String, the tag of String, earlier in this birth; a Canary tag cannot also be a folder"}'::jsonb,
  '{"metric": "a", "reason": "its Canary id G.E.D2.a is the folder of G.E.D2.a.b, the tag of a/b, earlier in this birth; a Canary tag cannot also be a folder"}'::jsonb,
  '{"metric": "Float/0", "reason": "its Canary id G.E.D2.Float.0 is the folder of G.E.D2.Float.0.1f, the tag of Float/0.1f, earlier in this birth; a Canary tag cannot also be a folder"}'::jsonb,
  '{"metric": "x/y", "reason": "its Canary id G.E.D2.x.y is the folder of G.E.D2.x.y.z, the tag of x/y/z, earlier in this birth; a Canary tag cannot also be a folder"}'::jsonb,
  '{"metric": "x", "reason": "its Canary id G.E.D2.x is the folder of G.E.D2.x.y.z, the tag of x/y/z, earlier in this birth; a Canary tag cannot also be a folder"}'::jsonb),
  'the later of two metrics whose Canary ids nest (by "/" or by a "." inside a segment) is rejected, naming the earlier one');
select results_eq($$select name from uns_meta.metrics where device_id = pg_temp.device_id('D2') order by name collate "C"$$,
                  $$values ('Float/0.1f'), ('String'), ('a/b'), ('x/y/z')$$, 'the earlier of each pair is applied');

-- 3. ... against the catalog: another device, and a metric the device already has --------------------------
set local role uns_meta_app;
select pg_temp.birth('D1', jsonb_build_array(
         '{"name": "Plant/Kiln/Temp", "datatype": 9}'::jsonb,
         '{"name": "Plant/Kiln/Fan 🔥", "datatype": 9}'::jsonb,
         '{"name": "Plant/Kiln/Temp/Max", "datatype": 9}'::jsonb,
         '{"name": "Plant/Kiln", "datatype": 9}'::jsonb), '2026-11-21T11:00:00Z') as r3 \gset
select pg_temp.birth('D2.String', '[{"name": "x", "datatype": 9}, {"name": "empty", "datatype": 9}]'::jsonb, '2026-11-21T11:00:00Z') as r4 \gset
reset role;
select is((:'r3'::jsonb) -> 'rejections', jsonb_build_array(
  jsonb_build_object('metric', 'Plant/Kiln/Temp/Max', 'reason',
    format('its Canary id G.E.D1.Plant.Kiln.Temp.Max lies under G.E.D1.Plant.Kiln.Temp, the tag of metric %s (Plant/Kiln/Temp of device %s); a Canary tag cannot also be a folder',
           pg_temp.metric_id('D1', 'Plant/Kiln/Temp'), pg_temp.device_id('D1'))),
  jsonb_build_object('metric', 'Plant/Kiln', 'reason',
    format('its Canary id G.E.D1.Plant.Kiln is the folder of G.E.D1.Plant.Kiln.Fan, the tag of metric %s (Plant/Kiln/Fan 🔥 of device %s); a Canary tag cannot also be a folder',
           pg_temp.metric_id('D1', 'Plant/Kiln/Fan 🔥'), pg_temp.device_id('D1')))),
  'a new metric under an existing tag, or over one, is rejected naming the catalog''s metric and device');
select is(pg_temp.summary(:'r3') -> 'metrics', '{"inserted": 0, "updated": 0, "revived": 0, "unchanged": 2, "retired": 0, "rejected": 2}'::jsonb,
          'the existing tags are unchanged');
select is((:'r4'::jsonb) -> 'rejections', jsonb_build_array(
  jsonb_build_object('metric', 'x', 'reason',
    format('its Canary id G.E.D2.String.x lies under G.E.D2.String, the tag of metric %s (String of device %s); a Canary tag cannot also be a folder',
           pg_temp.metric_id('D2', 'String'), pg_temp.device_id('D2'))),
  jsonb_build_object('metric', 'empty', 'reason',
    format('its Canary id G.E.D2.String.empty lies under G.E.D2.String, the tag of metric %s (String of device %s); a Canary tag cannot also be a folder',
           pg_temp.metric_id('D2', 'String'), pg_temp.device_id('D2')))),
  'across devices: device D2.String (Canary G.E.D2.String) may not put tags under metric String of device D2');

-- A retired metric keeps its Canary id reserved, and with it its folder.
set local role uns_meta_app;
select pg_temp.birth('D2', '[{"name": "a/b", "datatype": 1}]'::jsonb, '2026-11-21T12:00:00Z') as r5 \gset
select pg_temp.birth('D2', '[{"name": "a/b", "datatype": 1}, {"name": "String/empty", "datatype": 12}]'::jsonb, '2026-11-21T13:00:00Z') as r6 \gset
reset role;
select is(pg_temp.summary(:'r5') -> 'metrics' -> 'retired', '3'::jsonb, 'String, Float/0.1f and x/y/z were retired');
select is((:'r6'::jsonb) -> 'rejections' -> 0 ->> 'reason',
          format('its Canary id G.E.D2.String.empty lies under G.E.D2.String, the tag of metric %s (String of device %s); a Canary tag cannot also be a folder',
                 pg_temp.metric_id('D2', 'String'), pg_temp.device_id('D2')),
          'a retired tag still keeps its Canary id from becoming a folder');

-- 4. A metric the caller rejects ("reject"): recorded, not retired -----------------------------------------
set local role uns_meta_app;
select pg_temp.birth('D3', '[{"name": "Temp", "datatype": 9}, {"name": "Speed", "datatype": 9}]'::jsonb, '2026-11-21T10:00:00Z') as r7 \gset
select pg_temp.birth('D3', jsonb_build_array(
         '{"name": "Temp", "datatype": 9}'::jsonb,
         '{"name": "Speed", "reject": "the value of property engUnit contains the NUL character"}'::jsonb,
         '{"name": "Te\\u0000mp", "reject": "its name contains the NUL character", "datatype": "not even a number"}'::jsonb),
       '2026-11-21T11:00:00Z') as r8 \gset
reset role;
select is(pg_temp.summary(:'r8') -> 'metrics', '{"inserted": 0, "updated": 0, "revived": 0, "unchanged": 1, "retired": 0, "rejected": 2}'::jsonb,
          'a rejected metric is neither applied nor retired; the other fields of a rejected metric are not checked');
select results_eq($$select metric_name, reason from uns_meta.ingest_rejections where topic = 'spBv1.0/G/DBIRTH/E/D3' order by rejection_id$$,
                  $$values ('Speed', 'the value of property engUnit contains the NUL character'),
                           ('Te\u0000mp', 'its name contains the NUL character')$$,
                  'ingest_rejections keeps the name as sent (the NUL written visibly) and the caller''s reason');
select is((select retired_at from uns_meta.metrics where metric_id = pg_temp.metric_id('D3', 'Speed')), null, 'Speed stays live');
set local role uns_meta_app;
select is(pg_temp.error_of($$select pg_temp.birth('D3', '[{"name": "x", "reject": 5}]')$$),
          'U0001: ingest_birth: payload.metrics[0] (x) "reject" must be a non-empty string (the reason)', 'a "reject" that is not a string is malformed');

-- 5. Sizes --------------------------------------------------------------------------------------------------
select pg_temp.birth('D4', jsonb_build_array(jsonb_build_object('name', repeat('n', 65536), 'datatype', 9),
                                             jsonb_build_object('name', repeat('é', 512), 'datatype', 9),
                                             '{"name": "ok", "datatype": 9}'::jsonb)) as r9 \gset
select is((:'r9'::jsonb) -> 'rejections', jsonb_build_array(
  jsonb_build_object('metric', repeat('n', 65536), 'reason', 'the name is 65536 bytes long; names over 1024 bytes (UTF-8) are refused, shorten it at the edge')),
  'a 64 KB name is rejected with its length (512 two-byte characters are 1024 bytes: accepted)');
select is(pg_temp.error_of(format($$select pg_temp.birth('D4', '[{"name": "k", "datatype": 9, "properties": {"keys": ["%s"], "values": [{"type": 12, "stringValue": "v"}]}}]')$$, repeat('k', 65536))),
          'U0001: ingest_birth: payload.metrics[0] (k): property kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk…: the key is 65536 bytes long; keys over 1024 bytes (UTF-8) are refused',
          'a 64 KB property key refuses the birth, naming the metric and the start of the key');
select pg_temp.birth('D4', jsonb_build_array('{"name": "ok", "datatype": 9}'::jsonb,
         jsonb_build_object('name', 'big value', 'datatype', 12, 'properties',
           jsonb_build_object('keys', jsonb_build_array('doc'), 'values', jsonb_build_array(jsonb_build_object('type', 12, 'stringValue', repeat('v', 65536))))))) as r10 \gset
reset role;
select is((select length(value_string) from uns_meta.metric_properties where metric_id = pg_temp.metric_id('D4', 'big value')), 65536,
          'a 64 KB string value is stored whole');

-- 6. Stored verbatim: control characters, SQL fragments and quotes, replacement characters ----------------
set local role uns_meta_app;
select pg_temp.birth('D5', jsonb_build_array(
         jsonb_build_object('name', E'Ctl\x01\x1b[31m\ttab\r\nnl', 'datatype', 9),
         jsonb_build_object('name', $n$x'); drop table uns_meta.metrics; --$n$, 'datatype', 9,
                            'properties', jsonb_build_object('keys', jsonb_build_array($k$k'"; select pg_sleep(10); --$k$, '%s%I$1'),
                                                             'values', jsonb_build_array(jsonb_build_object('type', 12, 'stringValue', $v$$$ ' \x $v$),
                                                                                         jsonb_build_object('type', 12, 'stringValue', E'\uFFFD bad \uFFFD'))))),
       '2026-11-21T10:00:00Z') as r11 \gset
reset role;
select is(pg_temp.summary(:'r11') -> 'metrics' -> 'inserted', '2'::jsonb, 'both hostile names are inserted');
select results_eq($$select name, uns_path from uns_meta.metrics where device_id = pg_temp.device_id('D5') order by metric_id$$,
                  $$values (E'Ctl\x01\x1b[31m\ttab\r\nnl', 'G/E/D5/Ctl_31m tab nl'),
                           ($n$x'); drop table uns_meta.metrics; --$n$, 'G/E/D5/x_ drop table uns_meta.metrics')$$,
                  'names are kept verbatim; their paths carry only what the normalisation keeps');
select results_eq($q$select key, value_string from uns_meta.metric_properties
                     where metric_id = pg_temp.metric_id('D5', $n$x'); drop table uns_meta.metrics; --$n$) order by key collate "C"$q$,
                  $q$values ('%s%I$1', E'\uFFFD bad \uFFFD'), ($k$k'"; select pg_sleep(10); --$k$, $v$$$ ' \x $v$)$q$,
                  'keys and values with quotes, SQL and format directives are data, stored as sent');
select has_table('uns_meta', 'metrics', 'nothing was executed');

-- 7. Timestamps far in the past or the future; zero metrics ----------------------------------------------
set local role uns_meta_app;
select pg_temp.birth('D6', '[{"name": "m", "datatype": 9}]'::jsonb, '0001-01-01T00:00:00Z') as r12 \gset
select pg_temp.birth('D6', '[]'::jsonb, '9999-12-31T23:59:59.999Z') as r13 \gset
reset role;
select results_eq($$select change_kind, source, changed_at = now() from uns_meta.metric_versions where metric_id = pg_temp.metric_id('D6', 'm') order by version_no$$,
                  $$values ('created'::text, 'spBv1.0/G/DBIRTH/E/D6 received 0001-01-01T00:00:00.000Z', true),
                           ('retired', 'spBv1.0/G/DBIRTH/E/D6 received 9999-12-31T23:59:59.999Z', true)$$,
                  'received_at of year 1 and of year 9999 are kept as sent; a zero-metric birth retires the device''s metrics');
select is((select retired_at from uns_meta.metrics where metric_id = pg_temp.metric_id('D6', 'm')), '9999-12-31 23:59:59.999+00'::timestamptz,
          'the retirement carries the birth''s received_at');
set local role uns_meta_app;
select is(pg_temp.error_of($$select pg_temp.birth('D6', '[]', '300000-01-01T00:00:00Z')$$),
          'U0001: ingest_birth: field "received_at" ("300000-01-01T00:00:00Z") must be an ISO-8601 timestamp string',
          'a received_at PostgreSQL cannot hold refuses the birth, naming the field');
select is(pg_temp.error_of($$select pg_temp.birth('D6', '[{"name": "when", "datatype": 9, "properties": {"keys": ["t"], "values": [{"type": 13, "longValue": "253402300800000"}]}}]')$$),
          'U0001: ingest_birth: payload.metrics[0] (when): property t: "longValue" must be milliseconds since the epoch, 0..253402300799999 (year 9999)',
          'a DateTime after year 9999 refuses the birth, naming the metric and the key');
reset role;
select is((select count(*)::int from uns_meta.metrics where device_id = pg_temp.device_id('D6')), 1, 'the refused births wrote nothing');

select * from finish();
rollback;
