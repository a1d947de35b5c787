-- pgTAP: uns_meta.ingest_birth__reject_metrics(bigint, integer, text, timestamptz), step 6 of ingest_birth: staged
-- metrics that cannot get a unique path or Canary id are rejected with their reason and recorded in
-- ingest_rejections; a chunk's names join the birth's, and a name of an earlier chunk is rejected.
-- (Every rule through ingest_birth: ingest_birth/collisions.sql, hostile_names.sql, chunks.sql.)
begin;
set local timezone = 'UTC';
select plan(10);
\ir ingest_birth/_helpers.psql

select volatility_is('uns_meta', 'ingest_birth__reject_metrics', array['bigint', 'integer', 'text', 'timestamp with time zone'], 'volatile',
                     'reject_metrics is volatile');
select pg_temp.birth('R', '[{"name": "taken", "datatype": 9}]', '2026-11-21T09:00:00Z') is not null as born \gset
select pg_temp.device_id('R') as dev, pg_temp.metric_id('R', 'taken') as taken_id,
       (select uns_path from uns_meta.metrics where metric_id = pg_temp.metric_id('R', 'taken')) as taken_path \gset
select uns_meta.ingest_birth__reset_staging(:dev, 'T', null);
insert into uns_meta_stage_metrics (ord, name, uns_path, canary_id, reject_reason) values
  (0, 'a', 'X/a', 'X.a', null),
  (1, 'a2', 'X/a', 'X.a2', null),
  (2, 'e', null, null, null),
  (3, 'long', 'X/' || repeat('x', 2000), 'X.' || repeat('x', 2000), null),
  (4, 'f', 'X/a/b', 'X.a.b', null),
  (5, 'pre', 'X/pre', 'X.pre', 'caller says no'),
  (6, 'z', :'taken_path', 'X.z', null);

create temp table result as select * from uns_meta.ingest_birth__reject_metrics(:dev, null, 'T', '2026-11-21T10:00:00Z');
create temp table expected (ord int, reason text);
insert into expected values
  (0, null),
  (1, 'its UNS path X/a is also the path of a, earlier in this birth'),
  (2, 'the name normalises to an empty UNS path'),
  (3, 'its UNS path is 2002 bytes long; paths over 2000 bytes are refused, shorten the name at the edge'),
  (4, 'its Canary id X.a.b lies under X.a, the tag of a, earlier in this birth; a Canary tag cannot also be a folder'),
  (5, 'caller says no'),
  (6, format('its UNS path %s belongs to metric %s (taken of device %s)', :'taken_path', :taken_id, :dev));
select results_eq($$select ord, reject_reason from uns_meta_stage_metrics order by ord$$, $$select ord, reason from expected order by ord$$,
  'each metric that cannot get a unique path or Canary id gets its reason; the first of a pair applies');
select is((select o_rejected from result), 6, 'o_rejected counts them');
select is((select array(select r ->> 'metric' from jsonb_array_elements(o_rejections) as r) from result),
          array['a2', 'e', 'long', 'f', 'pre', 'z'], 'o_rejections lists them in payload order');
select results_eq($$select topic, metric_name, received_at, (detail ->> 'payload_index')::int from uns_meta.ingest_rejections where topic = 'T' order by rejection_id$$,
                  $$select 'T'::text, name, '2026-11-21T10:00:00Z'::timestamptz, ord from uns_meta_stage_metrics where reject_reason is not null order by ord$$,
                  'each is recorded in ingest_rejections with the topic, received_at and its payload index');
select is((select count(*)::int from uns_meta_birth_names), 0, 'an unchunked birth keeps no names');

-- A later chunk: a name an earlier chunk had is rejected; the chunk's names join the birth's.
select uns_meta.ingest_birth__reset_staging(:dev, 'T', null);
insert into uns_meta_birth_names (device_id, name) values (:dev, 'dup');
insert into uns_meta_stage_metrics (ord, name, uns_path, canary_id) values (0, 'dup', 'Y/dup', 'Y.dup'), (1, 'fresh', 'Y/fresh', 'Y.fresh');
select o_rejected as chunk_rejected from uns_meta.ingest_birth__reject_metrics(:dev, 1, 'T', '2026-11-21T10:00:00Z') \gset
select is((select array_agg(name || ': ' || coalesce(reject_reason, '-') order by ord) from uns_meta_stage_metrics),
          array['dup: the name appears twice in this birth (in an earlier chunk)', 'fresh: -'], 'a name of an earlier chunk: rejected');
select is((select array_agg(name order by name) from uns_meta_birth_names where device_id = :dev), array['dup', 'dup', 'fresh'],
          'the chunk''s names (rejected too) join the birth''s names');

-- The checks against the catalog give the same verdicts whether they probe the unique indexes (a catalog much larger
-- than the call, uns_meta.ingest_birth__probes_catalog; forced here with uns_meta.catalog_probes) or join the table.
select replace(:'taken_path', '/', '.') as tc, regexp_replace(replace(:'taken_path', '/', '.'), '\.[^.]*$', '') as tc_parent \gset
create temp table catalog_expected (ord int, reason text);
insert into catalog_expected values
  (0, format('its UNS path %s belongs to metric %s (taken of device %s)', :'taken_path', :taken_id, :dev)),
  (1, format('its Canary id %s belongs to metric %s (taken of device %s)', :'tc', :taken_id, :dev)),
  (2, format('its Canary id %s lies under %s, the tag of metric %s (taken of device %s); a Canary tag cannot also be a folder',
             :'tc' || '.under', :'tc', :taken_id, :dev)),
  (3, format('its Canary id %s is the folder of %s, the tag of metric %s (taken of device %s); a Canary tag cannot also be a folder',
             :'tc_parent', :'tc', :taken_id, :dev)),
  (4, null);
create function pg_temp.catalog_verdicts(probes text) returns setof record language plpgsql as $f$
begin
  perform set_config('uns_meta.catalog_probes', probes, true);
  perform uns_meta.ingest_birth__reset_staging(pg_temp.device_id('R'), 'T', null);
  insert into uns_meta_stage_metrics (ord, name, uns_path, canary_id) values
    (0, 'p', (select uns_path from uns_meta.metrics where name = 'taken'), 'Q.p'),
    (1, 'c', 'Q/c', (select canary_id from uns_meta.metrics where name = 'taken')),
    (2, 'u', 'Q/u', (select canary_id || '.under' from uns_meta.metrics where name = 'taken')),
    (3, 'f', 'Q/f', (select regexp_replace(canary_id, '\.[^.]*$', '') from uns_meta.metrics where name = 'taken')),
    (4, 'ok', 'Q/ok', 'Q.ok');
  perform uns_meta.ingest_birth__reject_metrics(pg_temp.device_id('R'), null, 'T', '2026-11-21T10:00:00Z');
  return query select ord, reject_reason from uns_meta_stage_metrics order by ord;
end
$f$;
select results_eq($$select * from pg_temp.catalog_verdicts('on') as (ord int, reason text)$$, $$select * from catalog_expected order by ord$$,
                  'probing the indexes: a path, a Canary id, a tag above and a tag below held by a metric of the catalog are each rejected');
select results_eq($$select * from pg_temp.catalog_verdicts('off') as (ord int, reason text)$$, $$select * from catalog_expected order by ord$$,
                  'joining the table: the same verdicts');

select * from finish();
rollback;
