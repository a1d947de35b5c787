-- Deploy uns_meta:functions/ingest_birth to pg
-- requires: functions/ingest_birth@v0.4.0 functions/metric_history (and, through the first, what it required:)
-- requires: functions/ingest_birth__read_envelope functions/ingest_birth__upsert_device
-- requires: functions/ingest_birth__match_fingerprint functions/ingest_birth__reset_staging
-- requires: functions/ingest_birth__stage_metrics functions/ingest_birth__reject_metrics
-- requires: functions/ingest_birth__decode_properties functions/ingest_birth__insert_metrics
-- requires: functions/ingest_birth__apply_property_changes functions/ingest_birth__update_metrics
-- requires: functions/ingest_birth__retire_missing functions/ingest_birth__settle_birth
-- requires: functions/ingest_birth__store_fingerprint
-- requires: functions/path_rules functions/decode_property_value functions/enqueue_canary_sync
-- requires: tables/metric_properties tables/metric_versions tables/metric_path_lineage
-- requires: tables/device_path_lineage tables/ingest_rejections tables/birth_fingerprints
begin;

-- Working tables of ingest_birth: temporary, created once per session. Their rows outlive a commit: ON COMMIT
-- DELETE ROWS would truncate all six at every commit that touched them (~12 ms, as much as a small birth's whole
-- ingest), so ingest_birth empties them itself (see "4." in ingest_birth). Kept in one place so the shape of the
-- staging data is readable apart from the algorithm.
-- The tables are made by this function's current definition: a release (or a DBA's change) that re-creates it, with
-- another staging column, while the ingestor's sessions run makes each session drop its tables and create them
-- anew at its next birth, instead of failing every birth against the old ones until the connection ends. The
-- session remembers which definition made its tables (uns_meta.ingest_birth_staging, the xmin of its pg_proc row,
-- which every CREATE OR REPLACE changes). In the middle of a chunked birth the tables hold its progress: the
-- birth is refused with serialization_failure (40001), which callers retry from its first chunk.
create or replace function uns_meta.ingest_birth_prepare_session() returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_definition text;
begin
  select p.xmin::text into v_definition from pg_proc as p where p.oid = 'uns_meta.ingest_birth_prepare_session()'::regprocedure;
  if to_regclass('pg_temp.uns_meta_birth_state') is not null then
    if current_setting('uns_meta.ingest_birth_staging', true) is not distinct from v_definition then
      return;
    end if;
    if exists (select from uns_meta_birth_state where xact = pg_current_xact_id()) then
      raise exception using errcode = 'serialization_failure',
        message = 'ingest_birth: its staging tables were redefined (a deploy) during this chunked birth; retry the birth from its first chunk';
    end if;
    drop table uns_meta_birth_state, uns_meta_birth_names, uns_meta_stage_metrics, uns_meta_stage_segments,
               uns_meta_stage_props, uns_meta_stage_prop_changes;
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
  perform set_config('uns_meta.ingest_birth_staging', v_definition, false);
end
$$;
comment on function uns_meta.ingest_birth_prepare_session() is
  'Creates the session''s temporary staging tables of ingest_birth (once per session, and again after this function is re-created; ingest_birth empties them).';
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

-- The orchestrator: one helper per step, in order (docs/sql-api.md#how-ingest_birth-is-organised). The helpers
-- pass the birth's rows between them in the session's staging tables (above); what a step returns -- the envelope's
-- parts, the device, counts -- travels in the record variables below. The settings of this function hold for every
-- helper it calls (they have none of their own but search_path).
create or replace function uns_meta.ingest_birth(birth jsonb) returns jsonb
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
  set work_mem = '256MB'
  set jit = off
  set enable_memoize = off  -- a Memoize over decode_property_value(pv) hashes 826,880 distinct jsonb values
  -- Both changed for large births only (here and in ingest_birth__stage_metrics), and restored for the caller when
  -- the function ends.
  set plan_cache_mode = auto
  set enable_nestloop = on
  set timezone = 'UTC'
  set extra_float_digits = 1  -- Float and Double in version diffs: shortest exact text (uns_meta.property_version_json)
as $fn$
declare
  v_envelope  record;  -- o_topic, o_parts, o_received_at, o_metrics, o_chunk_index, o_last, o_source, o_fingerprint
  v_device    record;  -- o_device_id, o_base_path, o_device_path, o_old_path, o_paths_current, o_changed
  v_print     record;  -- o_fingerprint, o_identical
  v_rejected  record;  -- o_rejected, o_rejections
  v_inserted  record;  -- o_inserted, o_properties, o_versions
  v_updated   record;  -- o_versions, o_updated, o_revived, o_unchanged, o_lineage
  v_retired   record;  -- o_retired, o_lineage
  v_large     boolean;
  c_props     integer;
  c_retired   integer := 0;
  c_lineage   integer := 0;
  c_jobs      integer;
begin
  -- 1. The envelope: {"topic", "received_at"?, "payload", "chunk"?, "fingerprint"?}
  v_envelope := uns_meta.ingest_birth__read_envelope(birth);

  -- 2. The session's working tables. Our own writes to metrics and metric_properties keep the birth fingerprints
  -- (tables/birth_fingerprints).
  perform uns_meta.ingest_birth_prepare_session();
  perform set_config('uns_meta.ingest_birth_active', 'on', true);

  -- 3. The device: serialise births of one device, upsert it, follow its path.
  v_device := uns_meta.ingest_birth__upsert_device(v_envelope.o_topic, v_envelope.o_parts, v_envelope.o_source);

  -- 3b. A birth identical to the last one applied in full, under the same rules: nothing can change.
  v_print := uns_meta.ingest_birth__match_fingerprint(v_device.o_device_id, v_envelope.o_metrics, v_envelope.o_chunk_index,
                                                      v_device.o_changed, v_device.o_paths_current, v_envelope.o_fingerprint);
  if v_print.o_identical then
    perform set_config('uns_meta.ingest_birth_active', 'off', true);
    return jsonb_build_object(
      'device_id', v_device.o_device_id, 'device_uns_path', v_device.o_device_path,
      'metrics', jsonb_build_object('inserted', 0, 'updated', 0, 'revived', 0,
                                    'unchanged', jsonb_array_length(v_envelope.o_metrics), 'retired', 0, 'rejected', 0),
      'properties_written', 0, 'versions_written', 0, 'lineage_written', 0, 'jobs_enqueued', 0, 'rejections', '[]'::jsonb);
  end if;

  -- 4. Empty the staging tables; chunk bookkeeping.
  perform uns_meta.ingest_birth__reset_staging(v_device.o_device_id, v_envelope.o_topic, v_envelope.o_chunk_index);

  -- 5. Stage the metrics with what the catalog holds for them; every one must be well-formed; compose their paths.
  -- A large birth: generic plans, since a custom plan would carry the birth as a constant, copied (tens of MB)
  -- into every statement naming it each time it is planned.
  v_large := jsonb_array_length(v_envelope.o_metrics) > 1000;
  if v_large then
    perform set_config('plan_cache_mode', 'force_generic_plan', true);
  end if;
  perform uns_meta.ingest_birth__stage_metrics(v_envelope.o_metrics, v_device.o_device_id, v_device.o_base_path,
                                               v_device.o_paths_current, v_large);

  -- 6. Reject what cannot get a unique path; the rest of the birth applies.
  v_rejected := uns_meta.ingest_birth__reject_metrics(v_device.o_device_id, v_envelope.o_chunk_index, v_envelope.o_topic,
                                                      v_envelope.o_received_at);

  -- 7. Decode the properties of metrics whose property JSON changed (all of them on a first birth).
  perform uns_meta.ingest_birth__decode_properties(v_envelope.o_metrics);

  -- 8. New metrics: insert them with all their properties and a first version.
  v_inserted := uns_meta.ingest_birth__insert_metrics(v_device.o_device_id, v_envelope.o_source);

  -- 9. Existing metrics: diff and apply their properties where the property JSON changed.
  c_props := v_inserted.o_properties + uns_meta.ingest_birth__apply_property_changes();

  -- 10. Existing metrics: one version per changed metric, then the row itself, then lineage.
  v_updated := uns_meta.ingest_birth__update_metrics(v_envelope.o_source, v_inserted.o_inserted);
  c_lineage := v_updated.o_lineage;

  -- 11. Last (or only) chunk: retire what the birth no longer names, enqueue one debounced Canary sync, store the
  -- birth's fingerprint.
  if v_envelope.o_last then
    v_retired := uns_meta.ingest_birth__retire_missing(v_device.o_device_id, v_envelope.o_parts[4], v_envelope.o_chunk_index,
                                                       v_envelope.o_received_at, v_envelope.o_source);
    c_retired := v_retired.o_retired;
    c_lineage := c_lineage + v_retired.o_lineage;
  end if;
  c_jobs := uns_meta.ingest_birth__settle_birth(v_device.o_device_id, v_envelope.o_last,
                                                v_device.o_changed or v_inserted.o_inserted > 0 or v_updated.o_versions > 0,
                                                v_rejected.o_rejected > 0, c_retired, v_large);
  if v_envelope.o_last then
    perform uns_meta.ingest_birth__store_fingerprint(v_device.o_device_id, v_print.o_fingerprint);
  end if;
  perform set_config('uns_meta.ingest_birth_active', 'off', true);

  return jsonb_build_object(
    'device_id', v_device.o_device_id,
    'device_uns_path', v_device.o_device_path,
    'metrics', jsonb_build_object('inserted', v_inserted.o_inserted, 'updated', v_updated.o_updated,
                                  'revived', v_updated.o_revived, 'unchanged', v_updated.o_unchanged,
                                  'retired', c_retired, 'rejected', v_rejected.o_rejected),
    'properties_written', c_props,
    'versions_written', v_inserted.o_versions + v_updated.o_versions + c_retired,
    'lineage_written', c_lineage + case when v_device.o_old_path is not null and v_device.o_old_path <> v_device.o_device_path
                                        then 1 else 0 end,
    'jobs_enqueued', c_jobs,
    'rejections', v_rejected.o_rejections)
    || case when v_envelope.o_chunk_index is not null
            then jsonb_build_object('chunk', jsonb_build_object('index', v_envelope.o_chunk_index, 'last', v_envelope.o_last))
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
