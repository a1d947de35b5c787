-- pgTAP: uns_meta.canary_parity, "is Canary up to date for this tag?" for analysts.
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
select plan(8);

select has_view('uns_meta', 'canary_parity', 'view uns_meta.canary_parity exists');
select table_privs_are('uns_meta', 'canary_parity', r, array['SELECT'], format('%s reads it', r))
  from unnest(array['uns_meta_ro', 'uns_meta_app']) as r;
select is((select array_agg(attname::text order by attnum) from pg_attribute
            where attrelid = 'uns_meta.canary_parity'::regclass and attnum > 0 and not attisdropped
              and coalesce(col_description(attrelid, attnum), '') = ''), null, 'every column has a comment');

insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'D', 'G/E/D');
insert into uns_meta.metrics (device_id, name, uns_path, datatype, version)
  select device_id, n, 'G/E/D/' || n, 10, 2 from uns_meta.devices, unnest(array['never', 'synced', 'behind', 'dead']) as n
   where uns_path = 'G/E/D';
insert into uns_meta.canary_sync_state (metric_id, confirmed_version, outcome, canary_tag)
  select metric_id, case name when 'synced' then 2 else 1 end, 'written', replace(uns_path, '/', '.')
    from uns_meta.metrics where name in ('synced', 'behind', 'dead');
insert into uns_meta.canary_dead_letters (metric_id, version, canary_tag, properties, error)
  select metric_id, 2, 'G.E.D.dead', '{}', 'Tag is already being logged' from uns_meta.metrics where name = 'dead';
select results_eq($$select uns_path, status, up_to_date, open_dead_letters from uns_meta.canary_parity order by uns_path$$,
                  $$values ('G/E/D/behind', 'pending', false, 0), ('G/E/D/dead', 'dead_letter', false, 1),
                           ('G/E/D/never', 'never_synced', false, 0), ('G/E/D/synced', 'in_sync', true, 0)$$,
                  'each status: pending, dead_letter, never_synced, in_sync');
update uns_meta.canary_dead_letters set resolved_at = now();
update uns_meta.canary_sync_state set confirmed_version = 2;
select is((select count(*)::int from uns_meta.canary_parity where up_to_date), 3, 'resolved and confirmed: up to date');
set local role uns_meta_ro;
select is((select count(*)::int from uns_meta.canary_parity), 4, 'uns_meta_ro reads the view');
reset role;
select is((select status from uns_meta.canary_parity where uns_path = 'G/E/D/never'), 'never_synced', 'a metric never synced says so');

select * from finish();
rollback;
