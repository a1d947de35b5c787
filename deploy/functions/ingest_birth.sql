-- Deploy uns_meta:functions/ingest_birth to pg
-- requires: functions/ingest_birth@v0.4.0 functions/metric_history (and, through the first, what it required:)
-- requires: functions/path_rules functions/decode_property_value functions/enqueue_canary_sync
-- requires: tables/metric_properties tables/metric_versions tables/metric_path_lineage
-- requires: tables/device_path_lineage tables/ingest_rejections tables/birth_fingerprints
begin;

-- The advisory lock that serialises the births of one device (ingest_birth takes it first). Everything else that
-- writes a device's versions takes it too (triggers/catalog_changes), so a birth never numbers its versions from a
-- catalog another writer is changing.
create function uns_meta.device_birth_lock(group_id text, edge text, device text) returns bigint
  language sql immutable parallel safe
return hashtextextended('uns_meta.ingest_birth/' || group_id || '/' || edge || '/' || device, 0);
comment on function uns_meta.device_birth_lock(text, text, text) is
  'The advisory lock key of a device''s births (pg_advisory_xact_lock); taken by ingest_birth and by every other writer of the device''s versions.';
revoke all on function uns_meta.device_birth_lock(text, text, text) from public;
grant execute on function uns_meta.device_birth_lock(text, text, text) to uns_meta_app;

-- Working tables of ingest_birth: temporary, created once per session. Their rows outlive a commit: ON COMMIT
-- DELETE ROWS would truncate all six at every commit that touched them (~12 ms, as much as a small birth's whole
-- ingest), so ingest_birth empties them itself (see "4." in ingest_birth). Kept in one place so the shape of the
-- staging data is readable apart from the algorithm.
create or replace function uns_meta.ingest_birth_prepare_session() returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  if to_regclass('pg_temp.uns_meta_birth_state') is not null then
    return;
  end if;
  -- One row per device whose birth is in progress in this transaction (chunked births span calls).
  create temp table uns_meta_birth_state (
    device_id     bigint primary key,
    next_chunk    integer not null,
    changed       boolean not null,
    rules_version text,                    -- uns_meta.path_rules_version() when the birth began
    rejected      boolean not null default false,
    xact          xid8 not null default pg_current_xact_id()  -- a row of another transaction is stale
  ) on commit preserve rows;
  -- Every metric name of a chunked birth so far: the retirement step keeps exactly these.
  create temp table uns_meta_birth_names (
    device_id bigint not null,
    name      text not null
  ) on commit preserve rows;
  -- The metrics of this call, with what the catalog holds for them (old_*) and the verdict.
  create temp table uns_meta_stage_metrics (
    ord               integer primary key,   -- index in payload.metrics
    name              text,                  -- name .. props_hash are set when problem is null
    datatype          bigint,
    alias             numeric,
    is_historical     boolean,
    is_transient      boolean,
    props_hash        bytea,
    problem           text,                  -- what is malformed in the metric (the birth is refused)
    uns_path          text,
    canary_id         text,
    metric_id         bigint,
    is_new            boolean not null default false,
    old_uns_path      text,
    old_datatype      bigint,
    old_alias         numeric,
    old_is_historical boolean,
    old_is_transient  boolean,
    old_retired_at    timestamptz,
    old_props_hash    bytea,
    old_version       integer,
    props_changed     boolean not null default false,
    changed           boolean not null default false,  -- an existing metric that gets a new version
    reject_reason     text
  ) on commit preserve rows;
  -- Distinct name segments and their normal form (names share most folders).
  create temp table uns_meta_stage_segments (
    seg  text primary key,
    norm text
  ) on commit preserve rows;
  -- Decoded properties of the metrics whose property JSON differs from the last applied one.
  create temp table uns_meta_stage_props (
    ord            integer not null,
    idx            integer,                -- 0-based position in properties.values (top-level rows)
    general        boolean not null default false,  -- not decoded on the short path: decode_property_value's turn
    key            text not null,
    key_path       text[],
    spb_type       bigint,
    is_null        boolean,
    type           uns_meta.spb_property_type,
    value_int      integer,
    value_long     bigint,
    value_uint64   numeric,
    value_float    real,
    value_double   double precision,
    value_string   text,
    value_bool     boolean,
    value_datetime timestamptz,
    problem        text
  ) on commit preserve rows;
  -- Property changes of existing metrics: added / changed / removed, with old and new typed JSON.
  create temp table uns_meta_stage_prop_changes (
    metric_id bigint not null,
    ord       integer,
    key       text not null,
    change    text not null,
    old_json  jsonb,
    new_json  jsonb
  ) on commit preserve rows;
end
$$;
comment on function uns_meta.ingest_birth_prepare_session() is
  'Creates the session''s temporary staging tables of ingest_birth (once per session; ingest_birth empties them).';
revoke all on function uns_meta.ingest_birth_prepare_session() from public;
grant execute on function uns_meta.ingest_birth_prepare_session() to uns_meta_app;

-- Raises U0001 naming the first metric of the staged birth whose properties carry a key twice: among all staged
-- metrics (when new metrics' properties hit the primary key), or among the existing metrics whose properties changed.
create or replace function uns_meta.ingest_birth_raise_duplicate_key(include_new boolean) returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_bad record;
begin
  if not include_new and not exists (select from uns_meta_stage_metrics
                                      where not is_new and metric_id is not null and reject_reason is null
                                        and props_hash is distinct from old_props_hash) then
    return;
  end if;
  select d.ord, s.name, d.key into v_bad
    from (select p.ord, p.key
            from uns_meta_stage_props as p
           where include_new or p.ord in (select ord from uns_meta_stage_metrics where not is_new)
           group by p.ord, p.key having count(*) > 1
           order by p.ord limit 1) as d
    join uns_meta_stage_metrics as s using (ord);
  if found then
    raise exception using errcode = 'U0001',
      message = format('ingest_birth: payload.metrics[%s] (%s): property key %s appears more than once', v_bad.ord, v_bad.name, v_bad.key);
  end if;
end
$$;
comment on function uns_meta.ingest_birth_raise_duplicate_key(boolean) is
  'ingest_birth''s check for a property key named twice in one metric (U0001); reads the session''s staging tables.';
revoke all on function uns_meta.ingest_birth_raise_duplicate_key(boolean) from public;
grant execute on function uns_meta.ingest_birth_raise_duplicate_key(boolean) to uns_meta_app;

create or replace function uns_meta.ingest_birth(birth jsonb) returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
  set work_mem = '256MB'
  set jit = off
  set enable_memoize = off  -- a Memoize over decode_property_value(pv) hashes 826,880 distinct jsonb values
  -- Both changed below for large births only, and restored for the caller when the function ends.
  set plan_cache_mode = auto
  set enable_nestloop = on
  set timezone = 'UTC'
  set extra_float_digits = 1  -- Float and Double in version diffs: shortest exact text (uns_meta.property_version_json)
as $fn$
declare
  v_topic         text;
  v_parts         text[];
  v_received_at   timestamptz;
  v_metrics       jsonb;
  v_chunk_index   integer;
  v_last          boolean := true;
  v_source        text;
  v_device_id     bigint;
  v_base_path     text;
  v_device_path   text;
  v_old_path      text;
  v_device_rules  text;
  v_paths_current boolean;
  v_large         boolean;
  v_fingerprint   bytea;
  v_expected      integer;
  v_bad           record;
  v_n             integer;
  v_changed       boolean := false;
  c_inserted      integer := 0;
  c_updated       integer := 0;
  c_unchanged     integer := 0;
  c_retired       integer := 0;
  c_revived       integer := 0;
  c_rejected      integer := 0;
  c_props         integer := 0;
  c_versions      integer := 0;
  c_lineage       integer := 0;
  c_jobs          integer := 0;
  v_rejections    jsonb := '[]';
begin
  -- 1. The envelope: {"topic", "received_at"?, "payload", "chunk"?, "fingerprint"?} -------------------------
  if jsonb_typeof(birth) is distinct from 'object' then
    raise exception using errcode = 'U0001',
      message = 'ingest_birth: the argument must be a JSON object {"topic": ..., "received_at": ..., "payload": {...}}';
  end if;
  if jsonb_typeof(birth -> 'topic') is distinct from 'string' then
    raise exception using errcode = 'U0001', message = 'ingest_birth: field "topic" is missing or not a string';
  end if;
  v_topic := birth ->> 'topic';
  v_parts := string_to_array(v_topic, '/');
  if cardinality(v_parts) < 4 or v_parts[1] <> 'spBv1.0' then
    raise exception using errcode = 'U0001',
      message = format('ingest_birth: field "topic" (%s) is not a Sparkplug B topic spBv1.0/<group>/<type>/<edge>[/<device>]', v_topic);
  end if;
  if v_parts[3] <> 'DBIRTH' then
    raise exception using errcode = 'U0002',
      message = format('ingest_birth: topic %s is a %s message; only DBIRTH is ingested', v_topic, v_parts[3]);
  end if;
  if cardinality(v_parts) <> 5 or exists (select from unnest(v_parts) as p where p = '' or p ~ '[+#]') then
    raise exception using errcode = 'U0001',
      message = format('ingest_birth: field "topic" (%s) must be spBv1.0/<group>/DBIRTH/<edge>/<device> with non-empty ids free of "+" and "#"', v_topic);
  end if;
  if jsonb_typeof(birth -> 'received_at') is null or jsonb_typeof(birth -> 'received_at') = 'null' then
    v_received_at := now();
  else
    begin
      if jsonb_typeof(birth -> 'received_at') <> 'string' then
        raise exception 'not a string';
      end if;
      v_received_at := (birth ->> 'received_at')::timestamptz;
    exception when others then
      raise exception using errcode = 'U0001',
        message = format('ingest_birth: field "received_at" (%s) must be an ISO-8601 timestamp string', birth -> 'received_at');
    end;
  end if;
  if jsonb_typeof(birth -> 'payload') is distinct from 'object' then
    raise exception using errcode = 'U0001', message = 'ingest_birth: field "payload" is missing or not an object';
  end if;
  v_metrics := coalesce(birth -> 'payload' -> 'metrics', '[]');
  if jsonb_typeof(v_metrics) <> 'array' then
    raise exception using errcode = 'U0001', message = 'ingest_birth: field "payload.metrics" must be an array';
  end if;
  if birth ? 'chunk' then
    if jsonb_typeof(birth -> 'chunk') <> 'object'
       or not uns_meta.jsonb_is_integer(birth -> 'chunk' -> 'index', 0, 2147483647)
       or jsonb_typeof(birth -> 'chunk' -> 'last') is distinct from 'boolean' then
      raise exception using errcode = 'U0003',
        message = 'ingest_birth: field "chunk" must be {"index": <0, 1, 2, ...>, "last": <true on the final chunk>}';
    end if;
    v_chunk_index := (birth -> 'chunk' ->> 'index')::integer;
    v_last := (birth -> 'chunk' ->> 'last')::boolean;
  end if;
  v_source := format('%s received %s', v_topic, to_char(v_received_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));

  -- 2. The session's working tables ----------------------------------------------------------------------
  perform uns_meta.ingest_birth_prepare_session();
  -- Our own writes to metrics and metric_properties keep the birth fingerprints (tables/birth_fingerprints).
  perform set_config('uns_meta.ingest_birth_active', 'on', true);

  -- 3. The device: serialise births of one device, upsert it, follow its path ---------------------------
  perform pg_advisory_xact_lock(uns_meta.device_birth_lock(v_parts[2], v_parts[4], v_parts[5]));
  v_base_path := uns_meta.device_base_path(v_parts[2], v_parts[4], v_parts[5]);
  if v_base_path is null then
    raise exception using errcode = 'U0001',
      message = format('ingest_birth: field "topic" (%s): a Sparkplug id normalises to an empty UNS segment', v_topic);
  end if;
  v_device_path := uns_meta.rewrite_path(v_base_path);
  select d.device_id, d.uns_path, d.path_rules_version into v_device_id, v_old_path, v_device_rules
    from uns_meta.devices as d
   where d.group_id = v_parts[2] and d.edge = v_parts[4] and d.device = v_parts[5];
  if v_old_path is distinct from v_device_path then
    select format('device %s (%s/%s/%s)', d.device_id, d.group_id, d.edge, d.device) as owner into v_bad
      from uns_meta.devices as d where d.uns_path = v_device_path;
    if found then
      raise exception using errcode = 'U0004',
        message = format('ingest_birth: the UNS path %s of topic %s is already the path of %s; change the path rules or the device id',
                         v_device_path, v_topic, v_bad.owner);
    end if;
    if v_device_id is null then
      insert into uns_meta.devices (group_id, edge, device, country, business_unit, uns_path)
      values (v_parts[2], v_parts[4], v_parts[5], split_part(v_device_path, '/', 2), split_part(v_device_path, '/', 3), v_device_path)
      returning device_id into v_device_id;
    else
      update uns_meta.devices
         set uns_path = v_device_path, country = split_part(v_device_path, '/', 2),
             business_unit = split_part(v_device_path, '/', 3)
       where device_id = v_device_id;
      insert into uns_meta.device_path_lineage (device_id, old_uns_path, new_uns_path, reason)
      values (v_device_id, v_old_path, v_device_path, 'path rules applied at birth ' || v_source)
      on conflict on constraint uq_device_lineage do nothing;
    end if;
    v_changed := true;
  end if;

  -- Under the rules the device's live metric paths were computed with (devices.path_rules_version), a live
  -- metric keeps its path (step 5), and a birth identical to the last one applied in full changes nothing (3b).
  v_paths_current := v_device_rules is not distinct from uns_meta.path_rules_version() and v_device_rules is not null;

  -- 3b. A birth identical to the last one applied in full, under the same rules: nothing can change -----------
  -- Comparing one fingerprint of the metrics replaces staging, decoding and comparing every metric (a re-birth
  -- after a reconnect usually repeats the last one). The fingerprint is the envelope's "fingerprint" (the ingestor's
  -- sha-256 of the whole birth, on the only or the final chunk; docs/sql-api.md#identical-re-births), else for an
  -- unchunked call the md5 of payload.metrics. It is stored at the end of the birth (step 11).
  -- [birth fingerprint: begin]
  if birth ? 'fingerprint' then
    if jsonb_typeof(birth -> 'fingerprint') is distinct from 'string' or birth ->> 'fingerprint' !~ '^[0-9a-f]{64}$' then
      raise exception using errcode = 'U0001',
        message = 'ingest_birth: field "fingerprint" must be 64 lowercase hex digits (the sha-256 of the birth, docs/sql-api.md)';
    end if;
    v_fingerprint := decode(birth ->> 'fingerprint', 'hex');
  elsif v_chunk_index is null then
    v_fingerprint := decode(md5(v_metrics::text), 'hex');
  end if;
  -- [birth fingerprint: end]
  if v_chunk_index is null then
    if not v_changed and v_paths_current
       and exists (select from uns_meta.birth_fingerprints as f
                    where f.device_id = v_device_id and f.fingerprint = v_fingerprint) then
      perform set_config('uns_meta.ingest_birth_active', 'off', true);
      return jsonb_build_object(
        'device_id', v_device_id, 'device_uns_path', v_device_path,
        'metrics', jsonb_build_object('inserted', 0, 'updated', 0, 'revived', 0,
                                      'unchanged', jsonb_array_length(v_metrics), 'retired', 0, 'rejected', 0),
        'properties_written', 0, 'versions_written', 0, 'lineage_written', 0, 'jobs_enqueued', 0, 'rejections', '[]'::jsonb);
    end if;
  end if;
  -- Whatever this birth does, the last fingerprint no longer describes the device (one is stored at the end).
  delete from uns_meta.birth_fingerprints where device_id = v_device_id;

  -- 4. Empty the staging tables; chunk bookkeeping ------------------------------------------------------
  -- The previous call's rows are still there (a large call truncates its own at its end). DELETE them: TRUNCATE
  -- gives the tables new files and rebuilds their indexes, and every cached plan naming them must be made again.
  -- Deleted rows are never vacuumed in a temporary table, though, and every scan reads them: once the two big
  -- tables pass 1 MB (every ~100 births of 50 metrics) they are truncated after all. Measured for 50-metric
  -- re-births (docs/sql-api.md): TRUNCATE every call 17-22 ms per call; this, 6-7 ms; a 4 MB limit, 9-10 ms.
  if pg_relation_size(to_regclass('pg_temp.uns_meta_stage_props')) + pg_relation_size(to_regclass('pg_temp.uns_meta_stage_metrics'))
     > 1024 * 1024 then
    truncate uns_meta_stage_metrics, uns_meta_stage_segments, uns_meta_stage_props, uns_meta_stage_prop_changes;
  elsif exists (select from uns_meta_stage_metrics) then
    delete from uns_meta_stage_metrics;
    delete from uns_meta_stage_segments;
    delete from uns_meta_stage_props;
    delete from uns_meta_stage_prop_changes;
  end if;
  if coalesce(v_chunk_index, 0) = 0 then
    -- Also what an earlier transaction left (it committed in the middle of a chunked birth).
    delete from uns_meta_birth_state where device_id = v_device_id or xact <> pg_current_xact_id();
    delete from uns_meta_birth_names as n
     where n.device_id = v_device_id or not exists (select from uns_meta_birth_state as b where b.device_id = n.device_id);
    insert into uns_meta_birth_state (device_id, next_chunk, changed, rules_version)
    values (v_device_id, 1, false, uns_meta.path_rules_version());
  else
    select next_chunk into v_expected from uns_meta_birth_state where device_id = v_device_id and xact = pg_current_xact_id();
    if v_expected is distinct from v_chunk_index then
      raise exception using errcode = 'U0003',
        message = format('ingest_birth: chunk %s of %s arrived, but this transaction expects chunk %s; send chunks 0, 1, 2, ... of one birth in one transaction',
                         v_chunk_index, v_topic, coalesce(v_expected::text, '0'));
    end if;
    update uns_meta_birth_state set next_chunk = next_chunk + 1 where device_id = v_device_id;
  end if;

  -- 5. Stage the metrics with what the catalog holds for them; every one must be well-formed ---------------
  -- jsonb_to_recordset splits the array in one pass (far cheaper than an -> per field and metric); it rejects
  -- an element that is not an object, and then the element-by-element check below names the offender.
  -- Under the current rules (v_paths_current) a live metric keeps its stored path; the others (new names, revived
  -- metrics, or all after a rule change) get one below.
  -- A large birth: generic plans, since a custom plan would carry the birth as a constant, copied (tens of MB)
  -- into every statement naming v_metrics each time it is planned; and a hash join for the catalog lookup below,
  -- where the planner takes jsonb_to_recordset for 100 rows and would look each one up in metrics' index (three
  -- times slower for 98,332 metrics; for a small birth the index lookups are the right plan).
  v_large := jsonb_array_length(v_metrics) > 1000;
  if v_large then
    perform set_config('plan_cache_mode', 'force_generic_plan', true);
    perform set_config('enable_nestloop', 'off', true);
  end if;
  begin
    insert into uns_meta_stage_metrics (ord, name, datatype, alias, is_historical, is_transient, props_hash, problem,
                                        reject_reason, metric_id, old_uns_path, old_datatype, old_alias, old_is_historical, old_is_transient,
                                        old_retired_at, old_props_hash, old_version, uns_path, canary_id)
    select c.ord, c.name #>> '{}',
           case when c.problem is null and c.reject is null then (c.datatype #>> '{}')::bigint end,
           case when c.problem is null and c.reject is null then (c.alias #>> '{}')::numeric end,
           coalesce(case when c.problem is null and c.reject is null then c.is_historical::boolean end, false),
           coalesce(case when c.problem is null and c.reject is null then c.is_transient::boolean end, false),
           decode(md5(coalesce(c.properties, '{}')::text), 'hex'),
           c.problem,
           case when c.problem is null then
             case when c.reject is not null then c.reject #>> '{}'
                  when octet_length(c.name #>> '{}') > 1024 then
                    format('the name is %s bytes long; names over 1024 bytes (UTF-8) are refused, shorten it at the edge',
                           octet_length(c.name #>> '{}'))
             end
           end,
           m.metric_id, m.uns_path, m.datatype, m.alias, m.is_historical, m.is_transient, m.retired_at, m.properties_hash,
           m.version,
           case when v_paths_current and m.retired_at is null then m.uns_path end,
           case when v_paths_current and m.retired_at is null then m.canary_id end
      from (select r.ord - 1 as ord, r.name, r.datatype, r.alias, r.is_historical, r.is_transient, r.properties, r.reject,
                   case
                     when jsonb_typeof(r.name) is distinct from 'string' or r.name #>> '{}' = '' then
                       'has no "name" (alias-only metrics must be named from the alias map before ingest_birth)'
                     -- A metric the caller rejects (the ingestor: a NUL character) needs only its name and the reason.
                     when r.reject is not null then
                       case when jsonb_typeof(r.reject) <> 'string' or r.reject #>> '{}' = '' then '"reject" must be a non-empty string (the reason)' end
                     when r.datatype is null then '"datatype" is missing'
                     when not uns_meta.jsonb_is_integer(r.datatype, 0, 4294967295) then '"datatype" must be an integer 0..4294967295'
                     when r.alias is not null and not uns_meta.jsonb_is_integer(r.alias, 0, 18446744073709551615) then
                       '"alias" must be an integer 0..18446744073709551615'
                     when jsonb_typeof(r.is_historical) <> 'boolean' then '"isHistorical" must be a boolean'
                     when jsonb_typeof(r.is_transient) <> 'boolean' then '"isTransient" must be a boolean'
                     when jsonb_typeof(r.properties) <> 'object' then '"properties" must be an object'
                     when jsonb_typeof(coalesce(r.properties -> 'keys', '[]')) <> 'array' then '"properties.keys" must be an array'
                     when jsonb_typeof(coalesce(r.properties -> 'values', '[]')) <> 'array' then '"properties.values" must be an array'
                     when jsonb_array_length(coalesce(r.properties -> 'keys', '[]'))
                          <> jsonb_array_length(coalesce(r.properties -> 'values', '[]')) then
                       format('"properties" has %s keys but %s values', jsonb_array_length(coalesce(r.properties -> 'keys', '[]')),
                              jsonb_array_length(coalesce(r.properties -> 'values', '[]')))
                   end as problem
              from rows from (jsonb_to_recordset(v_metrics) as (name jsonb, datatype jsonb, alias jsonb, "isHistorical" jsonb,
                                                                 "isTransient" jsonb, properties jsonb, reject jsonb))
                   with ordinality as r(name, datatype, alias, is_historical, is_transient, properties, reject, ord)
            offset 0) as c
      left join uns_meta.metrics as m on m.device_id = v_device_id and m.name = c.name #>> '{}';
  exception when invalid_parameter_value then
    -- An element is not an object: find the first one.
    select e.ord - 1 as i into v_bad
      from jsonb_array_elements(v_metrics) with ordinality as e(m, ord)
     where jsonb_typeof(e.m) <> 'object'
     order by e.ord
     limit 1;
    if not found then
      raise;
    end if;
    raise exception using errcode = 'U0001', message = format('ingest_birth: payload.metrics[%s] is not an object', v_bad.i);
  end;
  get diagnostics v_n = row_count;
  perform set_config('enable_nestloop', 'on', true);
  select ord as i, name, problem into v_bad from uns_meta_stage_metrics where problem is not null order by ord limit 1;
  if found then
    raise exception using errcode = 'U0001',
      message = format('ingest_birth: payload.metrics[%s]%s %s', v_bad.i, coalesce(' (' || v_bad.name || ')', ''), v_bad.problem);
  end if;

  insert into uns_meta_stage_segments (seg, norm)
  select seg, uns_meta.normalise_segment(seg)
    from (select distinct unnest(string_to_array(name, '/')) as seg from uns_meta_stage_metrics where uns_path is null and reject_reason is null) as d;
  if v_n > 1000 then
    analyze uns_meta_stage_metrics;
    analyze uns_meta_stage_segments;
  end if;

  -- A segment that normalises to nothing (an emoji, `-`, ` _ `, or an empty one as in `a//b`) would vanish from
  -- the path and could make the metric the folder of another tag (`Plant/ / _ /-` is `Plant`): the metric is
  -- rejected, naming the first such segment. A name with no segment left keeps the reason below.
  update uns_meta_stage_metrics as s
     set reject_reason = format('its name segment %s (%s) normalises to nothing under the path rules and would be dropped from the path; rename it at the edge or add a normalisation rule',
                                x.i, to_json(x.seg))
    from (select distinct on (sm.ord) sm.ord, u.i, u.seg
            from uns_meta_stage_metrics as sm
           cross join lateral unnest(string_to_array(sm.name, '/')) with ordinality as u(seg, i)
            join uns_meta_stage_segments as g on g.seg = u.seg
           where sm.uns_path is null and sm.reject_reason is null and coalesce(g.norm, '') = ''
           order by sm.ord, u.i) as x
   where s.ord = x.ord
     and exists (select from unnest(string_to_array(s.name, '/')) as u(seg)
                   join uns_meta_stage_segments as g on g.seg = u.seg
                  where coalesce(g.norm, '') <> '');

  -- Path composition as in uns_meta.metric_uns_path(), over the distinct segments. A name that normalises to
  -- nothing keeps a NULL path (and is rejected below).
  update uns_meta_stage_metrics as s
     set uns_path = p.uns_path, canary_id = replace(p.uns_path, '/', '.')
    from (select sm.ord, uns_meta.rewrite_path(v_base_path || '/' || string_agg(g.norm, '/' order by u.i)) as uns_path
            from uns_meta_stage_metrics as sm
           cross join lateral unnest(string_to_array(sm.name, '/')) with ordinality as u(seg, i)
            join uns_meta_stage_segments as g on g.seg = u.seg
           where sm.uns_path is null and g.norm <> ''
           group by sm.ord) as p
   where s.ord = p.ord;

  -- 6. Reject what cannot get a unique path; the rest of the birth applies -------------------------------
  if coalesce(v_chunk_index, 0) > 0 then
    update uns_meta_stage_metrics as s set reject_reason = 'the name appears twice in this birth (in an earlier chunk)'
      from uns_meta_birth_names as n
     where n.device_id = v_device_id and n.name = s.name;
  end if;
  update uns_meta_stage_metrics set reject_reason = 'the name normalises to an empty UNS path'
   where uns_path is null and reject_reason is null;
  update uns_meta_stage_metrics
     set reject_reason = format('its UNS path is %s bytes long; paths over 2000 bytes are refused, shorten the name at the edge',
                                octet_length(uns_path))
   where reject_reason is null and octet_length(uns_path) > 2000;
  if exists (select from uns_meta_stage_metrics where reject_reason is null group by uns_path having count(*) > 1)
     or exists (select from uns_meta_stage_metrics where reject_reason is null group by canary_id having count(*) > 1) then
    update uns_meta_stage_metrics as s
       set reject_reason = case
             when d.rn_path > 1 and d.first_path = s.name then 'the name appears twice in this birth'
             when d.rn_path > 1 then format('its UNS path %s is also the path of %s, earlier in this birth', s.uns_path, d.first_path)
             else format('its Canary id %s is also the Canary id of %s, earlier in this birth', s.canary_id, d.first_canary)
           end
      from (select ord,
                   row_number() over by_path as rn_path, first_value(name) over by_path as first_path,
                   row_number() over by_canary as rn_canary, first_value(name) over by_canary as first_canary
              from uns_meta_stage_metrics
             where reject_reason is null
            window by_path as (partition by uns_path order by ord), by_canary as (partition by canary_id order by ord)) as d
     where d.ord = s.ord and (d.rn_path > 1 or d.rn_canary > 1);
  end if;
  update uns_meta_stage_metrics as s
     set reject_reason = format('its UNS path %s belongs to metric %s (%s of device %s)', s.uns_path, m.metric_id, m.name, m.device_id)
    from uns_meta.metrics as m
   where s.reject_reason is null and s.uns_path is distinct from s.old_uns_path
     and m.uns_path = s.uns_path and m.metric_id is distinct from s.metric_id;
  update uns_meta_stage_metrics as s
     set reject_reason = format('its Canary id %s belongs to metric %s (%s of device %s)', s.canary_id, m.metric_id, m.name, m.device_id)
    from uns_meta.metrics as m
   where s.reject_reason is null and s.uns_path is distinct from s.old_uns_path
     and m.canary_id = s.canary_id and m.metric_id is distinct from s.metric_id;

  -- A tag must never be the folder of another tag: every "." of a Canary id is a level of Canary's tree (and
  -- every "/" of a UNS path becomes one), and Canary cannot hold `X.a` as a tag and `X.a.b` under it. Only new
  -- paths are checked (pairs the catalog already holds stay as they are). Within the birth, the metric with the
  -- new path is rejected, or the later one when both are new; against the catalog, the new one. A retired metric
  -- keeps its Canary id reserved, so it also keeps its folder from becoming a tag (and the reverse).
  if exists (select from uns_meta_stage_metrics where reject_reason is null and uns_path is distinct from old_uns_path) then
    -- Against the catalog: an existing metric (of any device, retired too) whose Canary id is an ancestor of a new
    -- one, or lies under it (the C.UTF-8 order puts every "<id>.…" between "<id>." and "<id>/", a range of the
    -- canary_id index).
    update uns_meta_stage_metrics as s
       set reject_reason = x.reason
      from (select distinct on (n.ord) n.ord,
                   format('its Canary id %s lies under %s, the tag of metric %s (%s of device %s); a Canary tag cannot also be a folder',
                          n.canary_id, m.canary_id, m.metric_id, m.name, m.device_id) as reason
              from (select sm.ord, sm.metric_id, sm.canary_id, array_to_string(a.parts[1:i], '.') as ancestor
                      from uns_meta_stage_metrics as sm
                     cross join lateral (select string_to_array(sm.canary_id, '.') as parts) as a
                     cross join lateral generate_series(1, cardinality(a.parts) - 1) as i
                     where sm.reject_reason is null and sm.uns_path is distinct from sm.old_uns_path) as n
              join uns_meta.metrics as m on m.canary_id = n.ancestor and m.metric_id is distinct from n.metric_id
             order by n.ord, length(m.canary_id)) as x
     where s.ord = x.ord;
    update uns_meta_stage_metrics as s
       set reject_reason = x.reason
      from (select sm.ord,
                   format('its Canary id %s is the folder of %s, the tag of metric %s (%s of device %s); a Canary tag cannot also be a folder',
                          sm.canary_id, m.canary_id, m.metric_id, m.name, m.device_id) as reason
              from uns_meta_stage_metrics as sm
             cross join lateral (select m.metric_id, m.canary_id, m.name, m.device_id
                                   from uns_meta.metrics as m
                                  where m.canary_id > sm.canary_id || '.' and m.canary_id < sm.canary_id || '/'
                                    and starts_with(m.canary_id, sm.canary_id || '.') and m.metric_id is distinct from sm.metric_id
                                  order by m.canary_id limit 1) as m
             where sm.reject_reason is null and sm.uns_path is distinct from sm.old_uns_path) as x
     where s.ord = x.ord;
    -- Within the birth (after the catalog, so that a reason never names a metric rejected itself):
    with live as (
      select ord, name, canary_id, uns_path is not distinct from old_uns_path as kept
        from uns_meta_stage_metrics where reject_reason is null
    ), folder_tags as (
      select t.* from live as t
       where t.canary_id in (select array_to_string(p.parts[1:i], '.')
                               from (select string_to_array(canary_id, '.') as parts from live) as p
                              cross join lateral generate_series(1, cardinality(p.parts) - 1) as i)
    ), pairs as (
      select t.ord as t_ord, t.name as t_name, t.canary_id as t_id, t.kept as t_kept,
             d.ord as d_ord, d.name as d_name, d.canary_id as d_id, d.kept as d_kept
        from folder_tags as t
        join live as d on starts_with(d.canary_id, t.canary_id || '.')
       where not (t.kept and d.kept)
    )
    update uns_meta_stage_metrics as s
       set reject_reason = x.reason
      from (select distinct on (r.ord) r.ord, r.reason
              from (select case when p.t_kept or (not p.d_kept and p.t_ord < p.d_ord) then p.d_ord else p.t_ord end as ord,
                           case when p.t_kept or (not p.d_kept and p.t_ord < p.d_ord)
                                then format('its Canary id %s lies under %s, the tag of %s%s; a Canary tag cannot also be a folder',
                                            p.d_id, p.t_id, p.t_name, case when p.t_kept then '' else ', earlier in this birth' end)
                                else format('its Canary id %s is the folder of %s, the tag of %s%s; a Canary tag cannot also be a folder',
                                            p.t_id, p.d_id, p.d_name, case when p.d_kept then '' else ', earlier in this birth' end)
                           end as reason,
                           least(p.t_ord, p.d_ord) as other
                      from pairs as p) as r
             order by r.ord, r.other) as x
     where s.ord = x.ord;
  end if;

  if v_chunk_index is not null then
    insert into uns_meta_birth_names (device_id, name)
    select v_device_id, name from uns_meta_stage_metrics;
  end if;

  select count(*), coalesce(jsonb_agg(jsonb_build_object('metric', name, 'reason', reject_reason) order by ord), '[]')
    into c_rejected, v_rejections
    from uns_meta_stage_metrics where reject_reason is not null;
  if c_rejected > 0 then
    insert into uns_meta.ingest_rejections (topic, metric_name, reason, detail, received_at)
    select v_topic, name, reject_reason, jsonb_build_object('uns_path', uns_path, 'canary_id', canary_id, 'payload_index', ord), v_received_at
      from uns_meta_stage_metrics where reject_reason is not null order by ord;
  end if;

  -- 7. Decode the properties of metrics whose property JSON changed (all of them on a first birth) ---------
  -- Nearly every value is common (uns_meta.property_value_fields_are_common): those are decoded right here from
  -- jsonb_to_recordset's columns (one pass per metric). The others are marked `general` and get
  -- uns_meta.decode_property_value below, which gives the same result for the common ones too (pgTAP compares
  -- them). A values element that is not an object makes jsonb_to_recordset fail: then everything takes the
  -- general path, which names the offender.
  begin
    insert into uns_meta_stage_props (ord, idx, key, key_path, general, spb_type, is_null, type, value_int, value_float,
                                      value_double, value_string, value_bool, problem)
    select f.ord, f.idx, f.key #>> '{}', null, not f.common,
           case when f.common then f.t::bigint end,
           case when f.common then false end,
           case when f.common then (case f.t when '3' then 'int' when '9' then 'float' when '10' then 'double'
                                             when '11' then 'boolean' else 'string' end)::uns_meta.spb_property_type end,
           case when f.common and f.t = '3' then (((f.iv::bigint & 4294967295) # 2147483648) - 2147483648)::integer end,
           case when f.common and f.t = '9' then (f.fv #>> '{}')::real end,
           case when f.common and f.t = '10' then (f.dv #>> '{}')::double precision end,
           case when f.common and f.t in ('12', '14') then f.sv #>> '{}' end,
           case when f.common and f.t = '11' then f.bv::boolean end,
           case when jsonb_typeof(f.key) <> 'string' then 'the key is not a string'
                when f.key #>> '{}' = '' then 'the key is empty' end
      from (select s.ord, k.i - 1 as idx, k.key, k.t, k.iv, k.fv, k.dv, k.bv, k.sv,
                   uns_meta.property_value_fields_are_common(k.t, k.iv, k.fv, k.dv, k.bv, k.sv, k.isn) as common
              from uns_meta_stage_metrics as s
             cross join lateral rows from (
                    jsonb_array_elements(v_metrics -> s.ord -> 'properties' -> 'keys'),
                    jsonb_to_recordset(v_metrics -> s.ord -> 'properties' -> 'values')
                      as (type text, "intValue" text, "floatValue" jsonb, "doubleValue" jsonb, "booleanValue" jsonb,
                          "stringValue" jsonb, "isNull" text)
                  ) with ordinality as k(key, t, iv, fv, dv, bv, sv, isn, i)
             where s.reject_reason is null and (s.metric_id is null or s.props_hash is distinct from s.old_props_hash)
            offset 0) as f;
    get diagnostics v_n = row_count;
  exception when invalid_parameter_value then
      insert into uns_meta_stage_props (ord, idx, key, key_path, spb_type, is_null, type, value_int, value_long, value_uint64,
                                        value_float, value_double, value_string, value_bool, value_datetime, problem)
      select s.ord, k.i - 1, k.key #>> '{}', null,
             d.spb_type, d.is_null, d.type, d.value_int, d.value_long, d.value_uint64, d.value_float, d.value_double,
             d.value_string, d.value_bool, d.value_datetime,
             case when jsonb_typeof(k.key) <> 'string' then 'the key is not a string'
                  when k.key #>> '{}' = '' then 'the key is empty'
                  else d.problem end
        from uns_meta_stage_metrics as s
       cross join lateral rows from (jsonb_array_elements(v_metrics -> s.ord -> 'properties' -> 'keys'),
                                     jsonb_array_elements(v_metrics -> s.ord -> 'properties' -> 'values')) with ordinality as k(key, pv, i)
       cross join lateral uns_meta.decode_property_value(k.pv) as d
       where s.reject_reason is null and (s.metric_id is null or s.props_hash is distinct from s.old_props_hash);
    get diagnostics v_n = row_count;
  end;
  update uns_meta_stage_props as p
     set (spb_type, is_null, type, value_int, value_long, value_uint64, value_float, value_double, value_string, value_bool,
          value_datetime, problem)
       = (select d.spb_type, d.is_null, d.type, d.value_int, d.value_long, d.value_uint64, d.value_float, d.value_double,
                 d.value_string, d.value_bool, d.value_datetime, coalesce(p.problem, d.problem)
            -- pv is computed a level below: as an argument of the inlined function, the expression (and with it the
            -- birth, a constant in a custom plan) would be copied into each of its dozens of uses in the plan.
            from (select v_metrics -> p.ord -> 'properties' -> 'values' -> p.idx as pv offset 0) as x
           cross join lateral uns_meta.decode_property_value(x.pv) as d)
   where p.general;
  -- Members of nested PropertySet / PropertySetList values (rare): walked from their top-level rows.
  if exists (select from uns_meta_stage_props where spb_type in (20, 21) and is_null is not true) then
    insert into uns_meta_stage_props (ord, key, key_path, spb_type, is_null, type, value_int, value_long, value_uint64,
                                      value_float, value_double, value_string, value_bool, value_datetime, problem)
    with recursive node (ord, key_path, pv, key_ok) as (
      select p.ord, array[p.key], v_metrics -> p.ord -> 'properties' -> 'values' -> p.idx, true
        from uns_meta_stage_props as p
       where p.spb_type in (20, 21) and p.is_null is not true
      union all
      select n.ord, n.key_path || c.key, c.pv, c.key_ok
        from node as n
       cross join lateral (
         select k.key #>> '{}', k.pv, jsonb_typeof(k.key) = 'string'
           from rows from (jsonb_array_elements(uns_meta.jsonb_array_or_empty(n.pv -> 'propertysetValue' -> 'keys')),
                           jsonb_array_elements(uns_meta.jsonb_array_or_empty(n.pv -> 'propertysetValue' -> 'values'))) as k(key, pv)
          where n.pv ->> 'type' = '20'
         union all
         select (l.i - 1)::text, jsonb_build_object('type', 20, 'propertysetValue', l.ps), true
           from jsonb_array_elements(uns_meta.jsonb_array_or_empty(n.pv -> 'propertysetsValue' -> 'propertyset')) with ordinality as l(ps, i)
          where n.pv ->> 'type' = '21'
       ) as c(key, pv, key_ok)
       where n.pv ->> 'type' in ('20', '21') and n.pv ->> 'isNull' is distinct from 'true'
    )
    select n.ord, uns_meta.property_key(n.key_path), n.key_path,
           d.spb_type, d.is_null, d.type, d.value_int, d.value_long, d.value_uint64, d.value_float, d.value_double,
           d.value_string, d.value_bool, d.value_datetime,
           case when not n.key_ok then 'the key is not a string'
                when n.key_path[cardinality(n.key_path)] = '' then 'the key is empty'
                else d.problem end
      from node as n
     cross join lateral uns_meta.decode_property_value(n.pv) as d
     where cardinality(n.key_path) > 1;
  end if;
  if v_n > 1000 then
    analyze uns_meta_stage_props;
  end if;

  -- A key is part of the primary key of metric_properties, whose index rows cannot exceed ~2.7 kB.
  update uns_meta_stage_props
     set problem = format('the key is %s bytes long; keys over 1024 bytes (UTF-8) are refused', octet_length(key)),
         key = left(key, 40) || '…'
   where problem is null and octet_length(key) > 1024;
  select s.ord, s.name, p.key, p.problem into v_bad
    from uns_meta_stage_props as p join uns_meta_stage_metrics as s using (ord)
   where p.problem is not null
   order by s.ord, p.key
   limit 1;
  if found then
    raise exception using errcode = 'U0001',
      message = format('ingest_birth: payload.metrics[%s] (%s): property %s: %s', v_bad.ord, v_bad.name, v_bad.key, v_bad.problem);
  end if;

  -- 8. New metrics: insert them with all their properties and a first version ---------------------------
  with ins as (
    insert into uns_meta.metrics (device_id, name, uns_path, datatype, alias, is_historical, is_transient, properties_hash)
    select v_device_id, name, uns_path, datatype, alias, is_historical, is_transient, props_hash
      from uns_meta_stage_metrics
     where metric_id is null and reject_reason is null
     order by uns_path  -- metric_ids in path order: the unique indexes on name, uns_path, canary_id grow at the right
    returning metric_id, name
  )
  update uns_meta_stage_metrics as s set metric_id = ins.metric_id, is_new = true
    from ins
   where s.name = ins.name and s.reject_reason is null;
  get diagnostics c_inserted = row_count;
  if c_inserted > 1000 then
    analyze uns_meta_stage_metrics;  -- is_new and metric_id changed for many rows: let the planner know
  end if;

  if c_inserted > 0 then
    -- A key twice in one metric's properties: the primary key refuses it, and the handler names it.
    begin
      insert into uns_meta.metric_properties (metric_id, key, key_path, type, spb_type, is_null, value_int, value_long,
                                              value_uint64, value_float, value_double, value_string, value_bool, value_datetime)
      select s.metric_id, p.key, p.key_path, p.type, p.spb_type, p.is_null, p.value_int, p.value_long, p.value_uint64,
             p.value_float, p.value_double, p.value_string, p.value_bool, p.value_datetime
        from uns_meta_stage_props as p join uns_meta_stage_metrics as s using (ord)
       where s.is_new
       order by s.metric_id, p.key;  -- in index order: the primary key index grows at its right edge
      get diagnostics v_n = row_count;
    exception when unique_violation then
      perform uns_meta.ingest_birth_raise_duplicate_key(true);
      raise;
    end;
    c_props := c_props + v_n;

    -- The first version names the creation and the metric's fields; its properties are not repeated (they are the
    -- metric_properties rows until a later version changes them: uns_meta.metric_properties_as_of reconstructs them).
    insert into uns_meta.metric_versions (metric_id, version_no, change_kind, source, diff)
    select s.metric_id, 1, 'created', v_source,
           jsonb_build_object('datatype', jsonb_build_object('new', s.datatype), 'uns_path', jsonb_build_object('new', s.uns_path))
           || case when s.alias is not null then jsonb_build_object('alias', jsonb_build_object('new', s.alias)) else '{}' end
           || case when s.is_historical then '{"is_historical": {"new": true}}'::jsonb else '{}' end
           || case when s.is_transient then '{"is_transient": {"new": true}}'::jsonb else '{}' end
      from uns_meta_stage_metrics as s
     where s.is_new
     order by s.metric_id;
    get diagnostics v_n = row_count;
    c_versions := c_versions + v_n;
  end if;

  -- 9. Existing metrics: diff their properties where the property JSON changed ---------------------------
  perform uns_meta.ingest_birth_raise_duplicate_key(false);
  insert into uns_meta_stage_prop_changes (metric_id, ord, key, change, old_json, new_json)
  select coalesce(n.metric_id, o.metric_id), n.ord, coalesce(n.key, o.key),
         case when o.key is null then 'added' when n.key is null then 'removed' else 'changed' end,
         case when o.key is not null then uns_meta.property_version_json(o.key_path, o.spb_type, o.is_null, o.type, o.value_int,
                o.value_long, o.value_uint64, o.value_float, o.value_double, o.value_string, o.value_bool, o.value_datetime) end,
         case when n.key is not null then uns_meta.property_version_json(n.key_path, n.spb_type, n.is_null, n.type, n.value_int,
                n.value_long, n.value_uint64, n.value_float, n.value_double, n.value_string, n.value_bool, n.value_datetime) end
    from (select s.metric_id, p.*
            from uns_meta_stage_props as p join uns_meta_stage_metrics as s using (ord)
           where not s.is_new) as n
    full join (select o.*
                 from uns_meta.metric_properties as o
                where o.metric_id in (select metric_id from uns_meta_stage_metrics
                                       where not is_new and reject_reason is null
                                         and props_hash is distinct from old_props_hash)) as o
      on o.metric_id = n.metric_id and o.key = n.key
   where o.key is null or n.key is null
      or (n.type, n.spb_type, n.is_null, n.key_path, n.value_int, n.value_long, n.value_uint64, n.value_float,
          n.value_double, n.value_string, n.value_bool, n.value_datetime)
         is distinct from
         (o.type, o.spb_type, o.is_null, o.key_path, o.value_int, o.value_long, o.value_uint64, o.value_float,
          o.value_double, o.value_string, o.value_bool, o.value_datetime);

  delete from uns_meta.metric_properties as o
   using uns_meta_stage_prop_changes as c
   where c.change = 'removed' and o.metric_id = c.metric_id and o.key = c.key;
  get diagnostics v_n = row_count;
  c_props := c_props + v_n;
  update uns_meta.metric_properties as o
     set key_path = p.key_path, type = p.type, spb_type = p.spb_type, is_null = p.is_null, value_int = p.value_int,
         value_long = p.value_long, value_uint64 = p.value_uint64, value_float = p.value_float,
         value_double = p.value_double, value_string = p.value_string, value_bool = p.value_bool,
         value_datetime = p.value_datetime
    from uns_meta_stage_prop_changes as c
    join uns_meta_stage_props as p on p.ord = c.ord and p.key = c.key
   where c.change = 'changed' and o.metric_id = c.metric_id and o.key = c.key;
  get diagnostics v_n = row_count;
  c_props := c_props + v_n;
  insert into uns_meta.metric_properties (metric_id, key, key_path, type, spb_type, is_null, value_int, value_long,
                                          value_uint64, value_float, value_double, value_string, value_bool, value_datetime)
  select c.metric_id, p.key, p.key_path, p.type, p.spb_type, p.is_null, p.value_int, p.value_long, p.value_uint64,
         p.value_float, p.value_double, p.value_string, p.value_bool, p.value_datetime
    from uns_meta_stage_prop_changes as c
    join uns_meta_stage_props as p on p.ord = c.ord and p.key = c.key
   where c.change = 'added';
  get diagnostics v_n = row_count;
  c_props := c_props + v_n;

  update uns_meta_stage_metrics as s set props_changed = true, changed = true
   where exists (select from uns_meta_stage_prop_changes as c where c.metric_id = s.metric_id);
  update uns_meta_stage_metrics as s set changed = true
   where not s.changed and not s.is_new and s.reject_reason is null and s.metric_id is not null
     and (s.datatype <> s.old_datatype or s.uns_path <> s.old_uns_path or s.alias is distinct from s.old_alias
          or s.is_historical <> s.old_is_historical or s.is_transient <> s.old_is_transient
          or s.old_retired_at is not null);

  -- 10. Existing metrics: one version per changed metric, then the row itself, then lineage --------------
  insert into uns_meta.metric_versions (metric_id, version_no, change_kind, source, diff)
  select s.metric_id, s.old_version + 1, case when s.old_retired_at is not null then 'revived' else 'updated' end, v_source,
         case when s.props_changed then jsonb_build_object('properties', (
                select jsonb_strip_nulls(jsonb_build_object(
                         'added', jsonb_object_agg(c.key, c.new_json) filter (where c.change = 'added'),
                         'removed', jsonb_object_agg(c.key, c.old_json) filter (where c.change = 'removed'),
                         'changed', jsonb_object_agg(c.key, jsonb_build_object('old', c.old_json, 'new', c.new_json))
                                      filter (where c.change = 'changed')))
                  from uns_meta_stage_prop_changes as c where c.metric_id = s.metric_id))
              else '{}' end
         || case when s.datatype <> s.old_datatype then jsonb_build_object('datatype', jsonb_build_object('old', s.old_datatype, 'new', s.datatype)) else '{}' end
         || case when s.uns_path <> s.old_uns_path then jsonb_build_object('uns_path', jsonb_build_object('old', s.old_uns_path, 'new', s.uns_path)) else '{}' end
         || case when s.alias is distinct from s.old_alias then jsonb_build_object('alias', jsonb_build_object('old', s.old_alias, 'new', s.alias)) else '{}' end
         || case when s.is_historical <> s.old_is_historical then jsonb_build_object('is_historical', jsonb_build_object('old', s.old_is_historical, 'new', s.is_historical)) else '{}' end
         || case when s.is_transient <> s.old_is_transient then jsonb_build_object('is_transient', jsonb_build_object('old', s.old_is_transient, 'new', s.is_transient)) else '{}' end
         || case when s.old_retired_at is not null then jsonb_build_object('retired_at', jsonb_build_object('old', s.old_retired_at, 'new', null)) else '{}' end
    from uns_meta_stage_metrics as s
   where s.changed
   order by s.ord;
  get diagnostics c_updated = row_count;
  c_versions := c_versions + c_updated;

  update uns_meta.metrics as m
     set uns_path = s.uns_path, datatype = s.datatype, alias = s.alias, is_historical = s.is_historical,
         is_transient = s.is_transient, retired_at = null, properties_hash = s.props_hash,
         version = case when s.changed then m.version + 1 else m.version end
    from uns_meta_stage_metrics as s
   where m.metric_id = s.metric_id and not s.is_new and s.reject_reason is null
     and (s.changed or s.props_hash is distinct from s.old_props_hash);

  select count(*) filter (where old_retired_at is not null) into c_revived
    from uns_meta_stage_metrics where not is_new and reject_reason is null and metric_id is not null;

  insert into uns_meta.metric_path_lineage (metric_id, old_uns_path, new_uns_path, reason)
  select metric_id, old_uns_path, uns_path, 'path rules applied at birth ' || v_source
    from uns_meta_stage_metrics
   where not is_new and reject_reason is null and uns_path <> old_uns_path
   order by ord
  on conflict on constraint uq_lineage do nothing;
  get diagnostics c_lineage = row_count;

  c_unchanged := (select count(*) from uns_meta_stage_metrics where reject_reason is null) - c_inserted - c_updated;
  v_changed := v_changed or c_inserted > 0 or c_updated > 0;

  -- 11. Last (or only) chunk: retire what the birth no longer names, enqueue one debounced Canary sync ------
  update uns_meta_birth_state set changed = changed or v_changed, rejected = rejected or c_rejected > 0
   where device_id = v_device_id;
  if v_last then
    -- The names of this birth: this call's metrics, or every chunk's for a chunked birth.
    with birth_names as (
      select name from uns_meta_stage_metrics where v_chunk_index is null
      union all
      select name from uns_meta_birth_names where v_chunk_index is not null and device_id = v_device_id
    ), retired as (
      update uns_meta.metrics as m set retired_at = v_received_at, version = m.version + 1
       where m.device_id = v_device_id and m.retired_at is null
         and m.name not in (select n.name from birth_names as n)  -- a hashed subplan, whatever the estimates
      returning m.metric_id, m.version, m.name, m.uns_path, m.datatype, m.alias, m.properties_hash
    ), born as (
      -- Renames (docs/sql-api.md#renames): the metrics this birth created (named by it, with a first version of this
      -- birth: all its chunks share the source), looked at only when the birth retires something.
      select m.metric_id, m.name, m.uns_path, m.datatype, m.alias, m.properties_hash
        from uns_meta.metrics as m
       where m.device_id = v_device_id and m.name in (select n.name from birth_names as n)
         and exists (select from uns_meta.metric_versions as v
                      where v.metric_id = m.metric_id and v.version_no = 1 and v.change_kind = 'created'
                        and v.source = v_source and v.changed_at = now())
         and exists (select from retired)
    ), by_alias as (  -- evidence 1: the same alias (aliases are per edge node; both metrics are of this device)
      select r.metric_id as old_id, b.metric_id as new_id,
             format('alias %s on edge node %s', r.alias, v_parts[4]) as evidence
        from retired as r join born as b on b.alias = r.alias
    ), by_properties as (  -- evidence 2: the same datatype and property set, among metrics without alias evidence
      -- (two different aliases say they are different metrics)
      select r.metric_id as old_id, b.metric_id as new_id,
             format('the same datatype (%s) and property set', uns_meta.spb_datatype_name(r.datatype)) as evidence
        from retired as r join born as b on b.datatype = r.datatype and b.properties_hash = r.properties_hash
       where (r.alias is null or b.alias is null)
         and not exists (select from by_alias as a where a.old_id = r.metric_id or a.new_id = b.metric_id)
    ), renames as (  -- only one-to-one pairs: two candidates on either side is no evidence
      select c.old_id, c.new_id, c.evidence, r.name as old_name, r.uns_path as old_path, b.name as new_name, b.uns_path as new_path
        from (select x.*, count(*) over (partition by x.old_id) as n_old, count(*) over (partition by x.new_id) as n_new
                from (select * from by_alias union all select * from by_properties) as x) as c
        join retired as r on r.metric_id = c.old_id
        join born as b on b.metric_id = c.new_id
       where c.n_old = 1 and c.n_new = 1
    ), lineage as (
      insert into uns_meta.metric_path_lineage (metric_id, old_uns_path, new_uns_path, reason)
      select new_id, old_path, new_path,
             format('renamed at birth %s: metric %s (%s) retired and metric %s (%s) created with %s', v_source, old_id,
                    old_name, new_id, new_name, evidence)
        from renames
       where old_path <> new_path
       order by new_id
      on conflict on constraint uq_lineage do nothing
      returning 1
    )
    insert into uns_meta.metric_versions (metric_id, version_no, change_kind, source, diff)
    select r.metric_id, r.version, 'retired', v_source,
           jsonb_build_object('retired_at', jsonb_build_object('old', null, 'new', v_received_at))
           || case when n.new_id is not null
                   then jsonb_build_object('renamed_to', jsonb_build_object('metric_id', n.new_id, 'name', n.new_name,
                                                                            'uns_path', n.new_path, 'evidence', n.evidence))
                   else '{}' end
      from retired as r left join renames as n on n.old_id = r.metric_id
     order by r.metric_id;
    get diagnostics c_retired = row_count;
    if c_retired > 0 then
      c_lineage := c_lineage + (select count(*) from uns_meta.metric_versions as v
                                 where v.metric_id in (select m.metric_id from uns_meta.metrics as m
                                                        where m.device_id = v_device_id and m.retired_at = v_received_at)
                                   and v.source = v_source and v.change_kind = 'retired' and v.changed_at = now()
                                   and v.diff ? 'renamed_to'
                                   and v.diff #>> '{renamed_to,uns_path}' <> (select m.uns_path from uns_meta.metrics as m where m.metric_id = v.metric_id));
    end if;
    c_versions := c_versions + c_retired;
    if c_retired > 0 or (select changed from uns_meta_birth_state where device_id = v_device_id) then
      perform uns_meta.enqueue_canary_sync(array[v_device_id]);
      c_jobs := 1;
    end if;
    -- Every live metric now has its path from the rules the birth began with -- unless the rules changed
    -- meanwhile, or a metric was rejected (it keeps an older path): then the next birth recomputes them all.
    update uns_meta.devices as d
       set path_rules_version = v.version
      from (select case when not b.rejected and b.rules_version = uns_meta.path_rules_version() then b.rules_version end
              from uns_meta_birth_state as b where b.device_id = v_device_id) as v(version)
     where d.device_id = v_device_id and d.path_rules_version is distinct from v.version;
    -- Remember a complete birth applied without rejection under unchanged rules (the same condition that just
    -- kept devices.path_rules_version): its identical successor is answered at step 3b, or by birth_is_current.
    if v_fingerprint is not null then  -- [birth fingerprint]
      insert into uns_meta.birth_fingerprints (device_id, fingerprint)
      select d.device_id, v_fingerprint
        from uns_meta.devices as d
       where d.device_id = v_device_id and d.path_rules_version is not null;
    end if;
    delete from uns_meta_birth_state where device_id = v_device_id;
    delete from uns_meta_birth_names where device_id = v_device_id;
  end if;
  perform set_config('uns_meta.ingest_birth_active', 'off', true);
  -- A large call gives its staging space back now rather than holding it until the session's next birth.
  if v_large then
    truncate uns_meta_stage_metrics, uns_meta_stage_segments, uns_meta_stage_props, uns_meta_stage_prop_changes;
    if not exists (select from uns_meta_birth_names) then
      truncate uns_meta_birth_names;
    end if;
  end if;

  return jsonb_build_object(
    'device_id', v_device_id,
    'device_uns_path', v_device_path,
    'metrics', jsonb_build_object('inserted', c_inserted, 'updated', c_updated - c_revived, 'revived', c_revived,
                                  'unchanged', c_unchanged, 'retired', c_retired, 'rejected', c_rejected),
    'properties_written', c_props,
    'versions_written', c_versions,
    'lineage_written', c_lineage + case when v_old_path is not null and v_old_path <> v_device_path then 1 else 0 end,
    'jobs_enqueued', c_jobs,
    'rejections', v_rejections)
    || case when v_chunk_index is not null
            then jsonb_build_object('chunk', jsonb_build_object('index', v_chunk_index, 'last', v_last))
            else '{}' end;
end
$fn$;
comment on function uns_meta.ingest_birth(jsonb) is
  'Applies one Sparkplug DBIRTH {"topic", "received_at"?, "payload", "chunk"?} to the catalog in the caller''s transaction: '
  'devices, metrics, typed properties, versions, lineage, retirements, rejections, and one debounced Canary sync job. '
  'Returns a summary. Errors use SQLSTATE class U0 and name the field and metric. See docs/sql-api.md.';
revoke all on function uns_meta.ingest_birth(jsonb) from public;
grant execute on function uns_meta.ingest_birth(jsonb) to uns_meta_app;

commit;
