-- pgTAP: least privilege, each role tried and refused, and checked from the catalog so that a new object cannot
-- slip through (issue 14, "Security"). The change grants/public_defaults took PUBLIC's default EXECUTE off the
-- trigger functions and USAGE off the property type; the rest holds because every change grants only what it must.
--   uns_meta_app  no DDL, no Sqitch registry, no editing of settings and rules (the DBA's tables)
--   uns_meta_ro   reads; writes nothing, calls nothing that writes (not ingest_birth)
--   uns_meta_cdc  replicates (REPLICATION) and reads what publication uns_meta_pub carries, nothing else
--   PUBLIC        nothing in schema uns_meta
--   SECURITY DEFINER functions: search_path pinned, EXECUTE only for the roles listed here by hand
begin;
\ir ../_session.psql
select plan(34);

-- The SQLSTATE a statement raises when run as role r, or 'no error' (the statement's effects roll back with the test).
create function pg_temp.sqlstate_as(r text, stmt text) returns text language plpgsql as $$
declare s text;
begin
  execute format('set local role %I', r);
  begin
    execute stmt;
    s := 'no error';
  exception when others then
    get stacked diagnostics s = returned_sqlstate;
  end;
  reset role;
  return s;
end $$;

-- What role r can effectively do to relations outside the system schemas: 'schema.relation PRIVILEGE', for
-- every privilege the relation's ACL (or PUBLIC) gives it in a schema it may use. Objects of extensions (pgTAP's
-- views in public, installed for these tests) are not ours.
create function pg_temp.relation_privileges(r text) returns text[] language sql as $$
  select coalesce(array_agg(c.oid::regclass::text || ' ' || p.priv order by c.oid::regclass::text, p.priv), '{}')
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
   cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) as p(priv)
   where c.relkind in ('r', 'p', 'v', 'm', 'f')
     and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast_temp%'
     and has_schema_privilege(r, n.oid, 'USAGE') and has_table_privilege(r, c.oid, p.priv)
     and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
$$;

-- Functions of the given schemas role r can execute, of the given volatilities ('i', 's', 'v').
create function pg_temp.executable(r text, volatilities text[], schemas text[] default array['uns_meta', 'graphile_worker', 'sqitch'])
returns text[] language sql as $$
  select coalesce(array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text), '{}')
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname = any (schemas) and p.provolatile = any (volatilities)
     and has_schema_privilege(r, n.oid, 'USAGE') and has_function_privilege(r, p.oid, 'EXECUTE')
$$;

-- PUBLIC --------------------------------------------------------------------------------------------------------
select is((select array_agg(p.oid::regprocedure::text order by 1) from pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
            where p.pronamespace = 'uns_meta'::regnamespace and a.grantee = 0),
          null, 'no function in uns_meta is executable by PUBLIC');
select is((select array_agg(t.oid::regtype::text order by 1) from pg_type t, aclexplode(coalesce(t.typacl, acldefault('T', t.typowner))) a
            where t.typnamespace = 'uns_meta'::regnamespace and t.typelem = 0 and t.typrelid = 0 and a.grantee = 0),
          null, 'no type of uns_meta (other than the tables'' row types) is usable by PUBLIC');
select is((select array_agg(c.oid::regclass::text order by 1) from pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
            where c.relnamespace = 'uns_meta'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and a.grantee = 0),
          null, 'no relation or sequence of uns_meta grants PUBLIC anything');
select is((select array_agg(a.privilege_type order by 1) from pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
            where n.nspname = 'uns_meta' and a.grantee = 0),
          null, 'PUBLIC has no privilege on schema uns_meta');

-- SECURITY DEFINER ----------------------------------------------------------------------------------------------
select is((select array_agg(p.oid::regprocedure::text order by 1) from pg_proc p
            where p.pronamespace = 'uns_meta'::regnamespace and p.prosecdef
              and not exists (select 1 from unnest(p.proconfig) cfg
                               where cfg like 'search_path=%' and cfg !~ '(\$user|public)' and (cfg !~ 'pg_temp' or cfg ~ 'pg_temp$'))),
          null, 'every SECURITY DEFINER function pins a search_path without $user or public, pg_temp (if named) last');
-- Who may execute each, beyond its owner: written from what needs it (the worker, and ingest_birth as uns_meta_app).
select is((select array_agg(format('%s: %s', p.oid::regprocedure,
                    coalesce((select string_agg(r.rolname, ',' order by r.rolname) from pg_roles r
                               where r.oid <> p.proowner and has_function_privilege(r.oid, p.oid, 'EXECUTE')
                                 and not r.rolsuper and r.rolname not like 'pg\_%'), '-')) order by p.oid::regprocedure::text)
             from pg_proc p where p.pronamespace = 'uns_meta'::regnamespace and p.prosecdef),
          array['uns_meta.canary_reserve_requests(integer,double precision): uns_meta_app',
                -- reads graphile-worker's canary_sync_device jobs for the view canary_sync_schedule (analysts)
                'uns_meta.canary_sync_jobs(): uns_meta_app,uns_meta_ro',
                'uns_meta.deployed_changes(): uns_meta_app,uns_meta_ro',
                'uns_meta.enqueue_canary_sync(bigint[]): uns_meta_app',
                'uns_meta.refresh_catalog_statistics(): uns_meta_app',
                -- the reference triggers of triggers/statement_foreign_keys and tables/metric_properties
                'uns_meta.tg__fk_cascade_delete(): -',
                'uns_meta.tg__fk_check(): -',
                'uns_meta.tg__fk_no_action_update(): -',
                'uns_meta.tg_metric_properties__metric_exists(): -',
                'uns_meta.tg_metrics__delete_properties(): -'],
          'each SECURITY DEFINER function is executable only by the roles that need it');

-- uns_meta_app --------------------------------------------------------------------------------------------------
select is(pg_temp.sqlstate_as('uns_meta_app', 'alter table uns_meta.metrics add column x int'), '42501', 'uns_meta_app cannot alter a table');
select is(pg_temp.sqlstate_as('uns_meta_app', 'create index on uns_meta.metrics (name)'), '42501', 'uns_meta_app cannot create an index');
select is(pg_temp.sqlstate_as('uns_meta_app', 'truncate uns_meta.dead_letters'), '42501', 'uns_meta_app cannot truncate');
select is(pg_temp.sqlstate_as('uns_meta_app', 'drop function uns_meta.ingest_birth(jsonb)'), '42501', 'uns_meta_app cannot drop a function');
select is(pg_temp.sqlstate_as('uns_meta_app', 'alter publication uns_meta_pub add table uns_meta.devices'), '42501', 'uns_meta_app cannot change the publication');
select is(pg_temp.sqlstate_as('uns_meta_app', $$set local session_replication_role = replica$$), '42501', 'uns_meta_app cannot switch triggers off');
select is(pg_temp.sqlstate_as('uns_meta_app', format($$alter database %I set work_mem = '1GB'$$, current_database())), '42501',
          'uns_meta_app cannot change the database''s settings');
select is((select array_agg(x order by x) from unnest(pg_temp.relation_privileges('uns_meta_app')) x where x ~ ' (TRUNCATE|REFERENCES|TRIGGER)$'),
          null, 'uns_meta_app holds no TRUNCATE, REFERENCES or TRIGGER anywhere');
-- The Sqitch registry.
select is((select array_agg(x order by x) from unnest(pg_temp.relation_privileges('uns_meta_app')) x where x like 'sqitch.%'),
          null, 'uns_meta_app has no privilege on the Sqitch registry');
select is(pg_temp.sqlstate_as('uns_meta_app', 'select count(*) from sqitch.changes'), '42501', 'uns_meta_app cannot read sqitch.changes');
select is(pg_temp.sqlstate_as('uns_meta_app', $$delete from sqitch.tags$$), '42501', 'uns_meta_app cannot delete a Sqitch tag');
-- Settings and rules: the DBA's tables.
select is((select array_agg(x order by x) from unnest(pg_temp.relation_privileges('uns_meta_app')) x
            where split_part(x, ' ', 1) in ('uns_meta.settings', 'uns_meta.segment_normalisation_rules', 'uns_meta.path_rewrite_rules', 'uns_meta.canary_property_names')),
          array['uns_meta.canary_property_names SELECT', 'uns_meta.path_rewrite_rules SELECT', 'uns_meta.segment_normalisation_rules SELECT', 'uns_meta.settings SELECT'],
          'uns_meta_app only reads the settings and the rule tables');
select is(pg_temp.sqlstate_as('uns_meta_app', $$update uns_meta.settings set value = '"1 second"' where key = 'debounce_interval'$$), '42501',
          'uns_meta_app cannot edit a setting');
select is(pg_temp.sqlstate_as('uns_meta_app', $$delete from uns_meta.segment_normalisation_rules$$), '42501', 'uns_meta_app cannot delete normalisation rules');
select is(pg_temp.sqlstate_as('uns_meta_app', $$insert into uns_meta.path_rewrite_rules (pattern, replacement) values ('a', 'b')$$), '42501',
          'uns_meta_app cannot add a path rewrite rule');
select is(pg_temp.sqlstate_as('uns_meta_app', 'select uns_meta.reapply_path_rules(false)'), '42501', 'uns_meta_app cannot re-apply path rules');
-- Every function of uns_meta it may call that can write, by name (graphile_worker's own are SECURITY INVOKER: its
-- table grants in grants/graphile_worker decide).
select is(pg_temp.executable('uns_meta_app', array['v'], array['uns_meta']),
          array['uns_meta.canary_reserve_requests(integer,double precision)', 'uns_meta.enqueue_canary_sync(bigint[])',
                'uns_meta.ingest_birth(jsonb)',
                -- ingest_birth's step helpers (functions/ingest_birth__*): SECURITY INVOKER like ingest_birth, so its
                -- caller executes them.
                'uns_meta.ingest_birth__apply_property_changes()', 'uns_meta.ingest_birth__decode_properties(jsonb)',
                'uns_meta.ingest_birth__insert_metrics(bigint,text)', 'uns_meta.ingest_birth__match_fingerprint(bigint,jsonb,integer,boolean,boolean,bytea)',
                'uns_meta.ingest_birth__reject_metrics(bigint,integer,text,timestamp with time zone)',
                'uns_meta.ingest_birth__reset_staging(bigint,text,integer)',
                'uns_meta.ingest_birth__retire_missing(bigint,text,integer,timestamp with time zone,text)',
                'uns_meta.ingest_birth__settle_birth(bigint,boolean,boolean,boolean,integer,boolean)',
                'uns_meta.ingest_birth__stage_metrics(jsonb,bigint,text,boolean,boolean)',
                'uns_meta.ingest_birth__store_fingerprint(bigint,bytea)',
                'uns_meta.ingest_birth__update_metrics(text,integer)', 'uns_meta.ingest_birth__upsert_device(text,text[],text)',
                'uns_meta.ingest_birth_prepare_session()', 'uns_meta.ingest_birth_raise_duplicate_key(boolean)',
                -- The catalog triggers' helpers (triggers/catalog_changes): a property or metric the processes write
                -- outside ingest_birth is versioned and enqueued in their name. SECURITY INVOKER: they write nothing
                -- the role could not write itself.
                'uns_meta.lock_device_births(bigint[])',
                'uns_meta.record_property_changes(bigint[],text[],text[],jsonb[],jsonb[],text)',
                'uns_meta.refresh_catalog_statistics()'],
          'uns_meta_app may call the ingest, worker and catalog-trigger functions, and no other volatile function of uns_meta');

-- uns_meta_ro ---------------------------------------------------------------------------------------------------
select is((select array_agg(x order by x) from unnest(pg_temp.relation_privileges('uns_meta_ro')) x where x !~ ' SELECT$'),
          null, 'uns_meta_ro holds nothing but SELECT, on any relation it can reach');
select is(pg_temp.executable('uns_meta_ro', array['v']), '{}', 'uns_meta_ro can execute no volatile function (none can write)');
select is((select array_agg(format('%s: %s', s, r) order by s)
             from (select s, pg_temp.sqlstate_as('uns_meta_ro', s) as r
                     from pg_class c
                     cross join lateral (select attname from pg_attribute where attrelid = c.oid and attnum > 0 and not attisdropped
                                                and attidentity <> 'a' and attgenerated = '' order by attnum limit 1) a
                     cross join unnest(array[format('insert into %s default values', c.oid::regclass),
                                                   format('update %s set %I = %I', c.oid::regclass, a.attname, a.attname),
                                                   format('delete from %s', c.oid::regclass),
                                                   format('truncate %s', c.oid::regclass)]) as s
                    where c.relnamespace = 'uns_meta'::regnamespace and c.relkind in ('r', 'p')) t
            where r <> '42501'),
          null, 'uns_meta_ro is refused INSERT, UPDATE, DELETE and TRUNCATE on every table of uns_meta');
select is(pg_temp.sqlstate_as('uns_meta_ro', $$select uns_meta.ingest_birth('{"topic": "spBv1.0/G/DBIRTH/E/D", "payload": {"metrics": []}}')$$), '42501',
          'uns_meta_ro cannot call ingest_birth');
select is(pg_temp.sqlstate_as('uns_meta_ro', $$select graphile_worker.add_job('canary_sync_device', '{}')$$), '42501', 'uns_meta_ro cannot enqueue a job');

-- uns_meta_cdc --------------------------------------------------------------------------------------------------
select is((select array_agg(rolname::text || ' ' || rolreplication order by rolname) from pg_roles where rolname like 'uns\_meta\_%'),
          array['uns_meta_admin false', 'uns_meta_app false', 'uns_meta_cdc true', 'uns_meta_ro false'],
          'only uns_meta_cdc may replicate');
select is(pg_temp.relation_privileges('uns_meta_cdc'),
          (select array_agg(format('%I.%I SELECT', schemaname, tablename) order by format('%I.%I', schemaname, tablename))
             from pg_publication_tables where pubname = 'uns_meta_pub'),
          'uns_meta_cdc reads exactly the tables uns_meta_pub carries, and may do nothing else to any relation');
select is(pg_temp.executable('uns_meta_cdc', array['i', 's', 'v']), '{}', 'uns_meta_cdc can execute no function of ours');
select is(pg_temp.sqlstate_as('uns_meta_cdc', 'select count(*) from uns_meta.metrics'), 'no error', 'uns_meta_cdc reads metrics');
select is(pg_temp.sqlstate_as('uns_meta_cdc', 'select count(*) from uns_meta.devices'), '42501', 'uns_meta_cdc cannot read devices (not published)');
select is(pg_temp.sqlstate_as('uns_meta_cdc', 'delete from uns_meta.metric_properties'), '42501', 'uns_meta_cdc cannot write what it reads');

select * from finish();
rollback;
