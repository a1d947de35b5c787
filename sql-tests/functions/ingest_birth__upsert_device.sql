-- pgTAP: uns_meta.ingest_birth__upsert_device(text, text[], text), step 3 of ingest_birth: the device's birth lock, a
-- new device, a device whose path changed (lineage), a path another device holds (U0004), and whether its metric
-- paths are those of the current rules.
begin;
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
select plan(12);
\ir ingest_birth/_helpers.psql

select volatility_is('uns_meta', 'ingest_birth__upsert_device', array['text', 'text[]', 'text'], 'volatile', 'upsert_device is volatile');

-- A new device.
create temp table first_call as
  select * from uns_meta.ingest_birth__upsert_device('spBv1.0/Grp/DBIRTH/Edge/Dev', array['spBv1.0', 'Grp', 'DBIRTH', 'Edge', 'Dev'], 'src1');
select o_device_id as n_o_device_id, o_device_path as n_o_device_path, o_base_path as n_o_base_path from first_call \gset
select is(:'n_o_device_id'::bigint, pg_temp.device_id('Dev', 'Grp', 'Edge'), 'a new device is created; o_device_id is its id');
select is(:'n_o_base_path'::text, uns_meta.device_base_path('Grp', 'Edge', 'Dev'), 'o_base_path is the device''s base path');
select is(:'n_o_device_path'::text, uns_meta.rewrite_path(uns_meta.device_base_path('Grp', 'Edge', 'Dev')), 'o_device_path is the rewritten base path');
select is((select uns_path from uns_meta.devices where device_id = :n_o_device_id), :'n_o_device_path', 'the device row holds that path');
select is((select array[o_old_path, o_changed::text, o_paths_current::text] from first_call), array[null, 'true', 'false'],
          'a new device: no old path, changed, its metric paths not current (no path_rules_version yet)');
select is((select count(*)::int from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() and granted and mode = 'ExclusiveLock'
             and ((classid::bigint << 32) | objid::bigint) = hashtextextended('uns_meta.ingest_birth/Grp/Edge/Dev', 0)),
          1, 'the transaction holds the device''s birth lock, keyed by its Sparkplug ids');

-- The same device again, its metric paths now from the current rules.
update uns_meta.devices set path_rules_version = uns_meta.path_rules_version() where device_id = :n_o_device_id;
select is((select array[o_device_id::text, o_old_path, o_changed::text, o_paths_current::text]
             from uns_meta.ingest_birth__upsert_device('spBv1.0/Grp/DBIRTH/Edge/Dev', array['spBv1.0', 'Grp', 'DBIRTH', 'Edge', 'Dev'], 'src2')),
          array[:'n_o_device_id', :'n_o_device_path', 'false', 'true']::text[],
          'a known device on its path: the same id, old path = path, unchanged, paths current');

-- Its stored path differs from what the rules give: it follows them, with lineage.
update uns_meta.devices set uns_path = 'Elsewhere/x/y' where device_id = :n_o_device_id;
select is((select array[o_old_path, o_changed::text]
             from uns_meta.ingest_birth__upsert_device('spBv1.0/Grp/DBIRTH/Edge/Dev', array['spBv1.0', 'Grp', 'DBIRTH', 'Edge', 'Dev'], 'src3')),
          array['Elsewhere/x/y', 'true'], 'a device whose path changed: o_old_path is the stored one, changed');
select is((select uns_path from uns_meta.devices where device_id = :n_o_device_id), :'n_o_device_path', 'the device row follows the rules');
select is((select array[old_uns_path, new_uns_path, reason] from uns_meta.device_path_lineage where device_id = :n_o_device_id),
          array['Elsewhere/x/y', :'n_o_device_path', 'path rules applied at birth src3']::text[], 'one device lineage row, naming the birth');

-- Another device on the path this one would take: U0004, naming it.
update uns_meta.devices set uns_path = uns_meta.rewrite_path(uns_meta.device_base_path('Grp', 'Edge', 'Other')) where device_id = :n_o_device_id;
select is(pg_temp.error_of($$select uns_meta.ingest_birth__upsert_device('spBv1.0/Grp/DBIRTH/Edge/Other', array['spBv1.0', 'Grp', 'DBIRTH', 'Edge', 'Other'], 's')$$),
          format('U0004: ingest_birth: the UNS path %s of topic spBv1.0/Grp/DBIRTH/Edge/Other is already the path of device %s (Grp/Edge/Dev); change the path rules or the device id',
                 uns_meta.rewrite_path(uns_meta.device_base_path('Grp', 'Edge', 'Other')), :n_o_device_id),
          'a path another device holds: U0004 naming that device');

select * from finish();
rollback;
