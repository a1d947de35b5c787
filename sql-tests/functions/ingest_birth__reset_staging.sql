-- pgTAP: uns_meta.ingest_birth__reset_staging(bigint, text, integer), step 4 of ingest_birth: the staging tables
-- emptied, the chunk bookkeeping of a birth started (chunk 0 or unchunked, dropping what other devices or earlier
-- transactions left) or advanced (the next chunk), a chunk out of order refused (U0003).
begin;
select plan(8);
\ir ingest_birth/_helpers.psql

select volatility_is('uns_meta', 'ingest_birth__reset_staging', array['bigint', 'text', 'integer'], 'volatile', 'reset_staging is volatile');
select uns_meta.ingest_birth_prepare_session();
insert into uns_meta_stage_metrics (ord, name) values (0, 'x');
insert into uns_meta_stage_segments (seg, norm) values ('x', 'x');
insert into uns_meta_stage_props (ord, key) values (0, 'k');
insert into uns_meta_stage_prop_changes (metric_id, key, change) values (1, 'k', 'added');
-- Device 7: a chunked birth in this transaction; device 8: one an earlier transaction left; device 9: another's.
insert into uns_meta_birth_state (device_id, next_chunk, changed, xact) values (7, 3, true, pg_current_xact_id()), (8, 2, false, '1'::xid8),
                                                                              (9, 1, false, pg_current_xact_id());
insert into uns_meta_birth_names (device_id, name) values (7, 'a'), (8, 'b'), (9, 'c');

select uns_meta.ingest_birth__reset_staging(7, 'T', null);
select is((select array[(select count(*) from uns_meta_stage_metrics), (select count(*) from uns_meta_stage_segments),
                        (select count(*) from uns_meta_stage_props), (select count(*) from uns_meta_stage_prop_changes)]::int[]),
          array[0, 0, 0, 0], 'the four staging tables are empty');
select results_eq($$select device_id, next_chunk, changed, rules_version from uns_meta_birth_state order by device_id$$,
                  $$values (7::bigint, 1, false, uns_meta.path_rules_version()), (9::bigint, 1, false, null)$$,
                  'an unchunked birth starts the device''s state afresh (next chunk 1, rules of now); an earlier transaction''s is dropped');
select results_eq($$select device_id, name from uns_meta_birth_names order by device_id$$, $$values (9::bigint, 'c'::text)$$,
                  'the names of the device''s and of stale births are dropped');

select uns_meta.ingest_birth__reset_staging(7, 'T', 1);
select is((select next_chunk from uns_meta_birth_state where device_id = 7), 2, 'chunk 1 as expected: the next one is 2');
select is(pg_temp.error_of($$select uns_meta.ingest_birth__reset_staging(7, 'T', 3)$$),
          'U0003: ingest_birth: chunk 3 of T arrived, but this transaction expects chunk 2; send chunks 0, 1, 2, ... of one birth in one transaction',
          'chunk 3 when 2 is expected: U0003');
select is(pg_temp.error_of($$select uns_meta.ingest_birth__reset_staging(6, 'U', 1)$$),
          'U0003: ingest_birth: chunk 1 of U arrived, but this transaction expects chunk 0; send chunks 0, 1, 2, ... of one birth in one transaction',
          'chunk 1 of a birth never started: U0003, expecting chunk 0');
select uns_meta.ingest_birth__reset_staging(7, 'T', 0);
select is((select next_chunk from uns_meta_birth_state where device_id = 7), 1, 'chunk 0 starts the birth again');

select * from finish();
rollback;
