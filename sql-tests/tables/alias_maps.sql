-- pgTAP: uns_meta.alias_maps, the ingestor's Sparkplug alias maps (per edge node from NBIRTH with device_id '',
-- per device from DBIRTH), persisted so a restart keeps them. The ingestor replaces a map by deleting the scope's
-- rows and inserting the new ones in the birth's transaction, and looks aliases up device first, then edge node.
begin;
\ir ../_session.psql
set local statement_timeout = '30s';
select plan(33);

-- Structure.
select has_table('uns_meta', 'alias_maps', 'table uns_meta.alias_maps exists');
select table_owner_is('uns_meta', 'alias_maps', 'uns_meta_admin', 'alias_maps is owned by uns_meta_admin');
select columns_are('uns_meta', 'alias_maps', array['group_id', 'edge_node_id', 'device_id', 'alias', 'metric_name', 'born_at'],
                   'alias_maps has exactly its columns');
select col_type_is('uns_meta', 'alias_maps', c, t, format('alias_maps.%s is %s', c, t))
  from (values ('group_id', 'text'), ('edge_node_id', 'text'), ('device_id', 'text'), ('alias', 'numeric(20,0)'),
               ('metric_name', 'text'), ('born_at', 'timestamp with time zone')) as t(c, t);
select col_not_null('uns_meta', 'alias_maps', c, format('alias_maps.%s is NOT NULL', c))
  from unnest(array['group_id', 'edge_node_id', 'device_id', 'alias', 'metric_name', 'born_at']) as c;
select col_default_is('uns_meta', 'alias_maps', 'device_id', '', 'alias_maps.device_id defaults to '''' (the edge node''s map)');
select col_is_pk('uns_meta', 'alias_maps', array['group_id', 'edge_node_id', 'device_id', 'alias'],
                 'alias_maps primary key is (group_id, edge_node_id, device_id, alias): one name per alias per map');
select isnt(obj_description('uns_meta.alias_maps'::regclass, 'pg_class'), null, 'alias_maps has a table comment');

-- Privileges.
select table_privs_are('uns_meta', 'alias_maps', 'uns_meta_app', array['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
                       'uns_meta_app may read and replace alias maps');
select table_privs_are('uns_meta', 'alias_maps', 'uns_meta_ro', array['SELECT'], 'uns_meta_ro may only read alias_maps');
select table_privs_are('uns_meta', 'alias_maps', 'uns_meta_cdc', array[]::text[], 'uns_meta_cdc has no privilege on alias_maps');
select table_privs_are('uns_meta', 'alias_maps', 'public', array[]::text[], 'PUBLIC has no privilege on alias_maps');

-- What the ingestor does, as uns_meta_app.
set local role uns_meta_app;
select lives_ok($$insert into uns_meta.alias_maps (group_id, edge_node_id, alias, metric_name, born_at)
                  values ('G', 'E', 0, 'Node/Temp', '2026-11-21T10:00:00Z'), ('G', 'E', 18446744073709551615, 'Node/Max', '2026-11-21T10:00:00Z')$$,
                'an NBIRTH map: alias 0 and the uint64 maximum are valid');
select lives_ok($$insert into uns_meta.alias_maps (group_id, edge_node_id, device_id, alias, metric_name, born_at)
                  values ('G', 'E', 'D', 0, 'Dev/Temp', '2026-11-21T10:00:00Z')$$,
                'a DBIRTH map may reuse an alias of the node''s map (a separate scope)');
select results_eq($$select metric_name from uns_meta.alias_maps
                     where group_id = 'G' and edge_node_id = 'E' and device_id in ('D', '') and alias = 0
                     order by device_id desc limit 1$$,
                  $$values ('Dev/Temp')$$, 'the device''s map is consulted before the node''s');
select results_eq($$select metric_name from uns_meta.alias_maps
                     where group_id = 'G' and edge_node_id = 'E' and device_id in ('D', '') and alias = 18446744073709551615
                     order by device_id desc limit 1$$,
                  $$values ('Node/Max')$$, 'an alias only the node knows falls back to the node''s map');
select lives_ok($$delete from uns_meta.alias_maps where group_id = 'G' and edge_node_id = 'E' and device_id = ''$$,
                'uns_meta_app replaces a map (delete of its scope)');
select is((select count(*)::int from uns_meta.alias_maps), 1, 'only the device''s map is left');
reset role;

-- Constraints.
select throws_ok($$insert into uns_meta.alias_maps (group_id, edge_node_id, device_id, alias, metric_name, born_at)
                   values ('G', 'E', 'D', 0, 'again', now())$$, '23505', null, 'one name per alias in a map');
select throws_ok($$insert into uns_meta.alias_maps (group_id, edge_node_id, alias, metric_name, born_at) values ('G', 'E', -1, 'm', now())$$,
                 '23514', null, 'a negative alias is refused');
select throws_ok($$insert into uns_meta.alias_maps (group_id, edge_node_id, alias, metric_name, born_at) values ('G', 'E', 18446744073709551616, 'm', now())$$,
                 '23514', null, 'an alias beyond uint64 is refused');
select throws_ok($$insert into uns_meta.alias_maps (group_id, edge_node_id, alias, metric_name, born_at) values ('G', 'E', 1, '', now())$$,
                 '23514', null, 'an empty metric name is refused');
select throws_ok($$insert into uns_meta.alias_maps (group_id, edge_node_id, alias, metric_name, born_at) values ('', 'E', 1, 'm', now())$$,
                 '23514', null, 'an empty group id is refused');

select * from finish();
rollback;
