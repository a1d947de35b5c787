-- pgTAP: ingest_birth reuses the stored UNS paths of a device's live metrics while the path rules are the ones
-- they were computed with (devices.path_rules_version = uns_meta.path_rules_version()), and computes them again
-- whenever that may not hold: new rules, a revived metric, a rejected metric, rules changed during a chunked
-- birth. To make reuse visible, tests set a path by hand (as the admin) and watch whether a birth keeps it.
begin;
set local timezone = 'UTC';
set local statement_timeout = '30s';
set local lock_timeout = '10s';
select plan(16);
\ir _helpers.psql

select '[{"name": "Plant/A", "datatype": 10}, {"name": "Plant/B", "datatype": 10}]' as ab,
       '[{"name": "Plant/A", "datatype": 10}]' as a \gset
set local role uns_meta_app;
select pg_temp.birth('D', :'ab') as r \gset
reset role;
select is((select path_rules_version from uns_meta.devices where device_id = pg_temp.device_id('D')), uns_meta.path_rules_version(),
          'after a birth the device records the fingerprint of the rules its paths come from');
select is(length(uns_meta.path_rules_version()), 32, 'the fingerprint is an md5');

-- Same rules: a live metric keeps its stored path (the hand-set one shows the birth did not recompute it).
update uns_meta.metrics set uns_path = 'G/E/D/Plant/A-kept' where name = 'Plant/A';
set local role uns_meta_app;
select pg_temp.birth('D', :'ab') as r \gset
reset role;
select is((select uns_path from uns_meta.metrics where name = 'Plant/A'), 'G/E/D/Plant/A-kept', 'same rules: the stored path is reused');
select is((:'r'::jsonb) -> 'metrics' ->> 'unchanged', '2', 'and the birth is a no-op for both metrics');

-- New rules: every path is computed again.
insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('^G/E/D/Plant/B$', 'G/E/D/Plant/Bee', 'test');
select isnt((select path_rules_version from uns_meta.devices where device_id = pg_temp.device_id('D')), uns_meta.path_rules_version(),
            'a rule change changes the fingerprint');
set local role uns_meta_app;
select pg_temp.birth('D', :'ab') as r \gset
reset role;
select results_eq($$select name, uns_path from uns_meta.metrics order by name$$,
                  $$values ('Plant/A', 'G/E/D/Plant/A'), ('Plant/B', 'G/E/D/Plant/Bee')$$,
                  'after a rule change the next birth computes every path (the hand-set one is corrected, the rule applies)');
select is((select path_rules_version from uns_meta.devices where device_id = pg_temp.device_id('D')), uns_meta.path_rules_version(),
          'and records the new fingerprint');
-- The fingerprint is a function of the rules, not a counter: the same rules give the same fingerprint.
select uns_meta.path_rules_version() as with_rule \gset
delete from uns_meta.path_rewrite_rules;
insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('^G/E/D/Plant/B$', 'G/E/D/Plant/Bee', 'again');
select is(uns_meta.path_rules_version(), :'with_rule', 'the same rule again gives the same fingerprint');
delete from uns_meta.path_rewrite_rules;
select isnt((select path_rules_version from uns_meta.devices where device_id = pg_temp.device_id('D')), uns_meta.path_rules_version(),
            'removing the rule changes the fingerprint again');
set local role uns_meta_app;
select pg_temp.birth('D', :'ab') as r \gset
reset role;
select is((select uns_path from uns_meta.metrics where name = 'Plant/B'), 'G/E/D/Plant/B', 'and the next birth follows the rules');

-- A revived metric gets a path computed now, whatever it stored while retired.
set local role uns_meta_app;
select pg_temp.birth('D', :'a') as r \gset
reset role;
update uns_meta.metrics set uns_path = 'G/E/D/Plant/B-stale' where name = 'Plant/B';
set local role uns_meta_app;
select pg_temp.birth('D', :'ab') as r \gset
reset role;
select is((select uns_path from uns_meta.metrics where name = 'Plant/B'), 'G/E/D/Plant/B', 'a revived metric''s path is computed, not reused');
select is((:'r'::jsonb) -> 'metrics' ->> 'revived', '1', 'it is counted as revived');

-- A rejected metric keeps an older path: the device's fingerprint is cleared so the next birth recomputes all.
set local role uns_meta_app;
select pg_temp.birth('Other', '[{"name": "X", "datatype": 10}]') as r \gset
reset role;
insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('^G/E/D/Plant/A$', 'G/E/Other/X', 'test');
set local role uns_meta_app;
select pg_temp.birth('D', :'ab') as r \gset
reset role;
select is((:'r'::jsonb) -> 'metrics' ->> 'rejected', '1', 'a path collision rejects Plant/A');
select is((select path_rules_version from uns_meta.devices where device_id = pg_temp.device_id('D')), null,
          'a birth with a rejected metric leaves the device without a fingerprint');

-- reapply_path_rules brings the devices it fully applies to the current fingerprint.
delete from uns_meta.path_rewrite_rules;
select uns_meta.reapply_path_rules();
select is((select count(*)::int from uns_meta.devices where path_rules_version = uns_meta.path_rules_version()), 2,
          'reapply_path_rules records the current fingerprint on every device it applied cleanly');

-- Rules changed between the chunks of one birth: no fingerprint is recorded.
set local role uns_meta_app;
select pg_temp.birth('D', '[{"name": "Plant/A", "datatype": 10}]', chunk => '{"index": 0, "last": false}') as r \gset
reset role;
insert into uns_meta.path_rewrite_rules (pattern, replacement, description) values ('^nothing$', 'matches', 'test');
set local role uns_meta_app;
select pg_temp.birth('D', '[{"name": "Plant/B", "datatype": 10}]', chunk => '{"index": 1, "last": true}') as r \gset
reset role;
select is((select path_rules_version from uns_meta.devices where device_id = pg_temp.device_id('D')), null,
          'rules changed during a chunked birth: the device is left without a fingerprint');

select * from finish();
rollback;
