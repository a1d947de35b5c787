-- Deploy uns_meta:functions/ingest_birth__reset_staging to pg
-- requires: functions/path_rules
begin;

-- Step 4 of ingest_birth: empties the session's staging tables (ingest_birth_prepare_session) and keeps the chunk
-- bookkeeping of the device's birth: chunk 0 (or an unchunked birth) starts it afresh, a later chunk must be the
-- one this transaction expects (U0003).
-- The previous call's rows are still there (a large call truncates its own at its end). DELETE them: TRUNCATE
-- gives the tables new files and rebuilds their indexes, and every cached plan naming them must be made again.
-- Deleted rows are never vacuumed in a temporary table, though, and every scan reads them: once the two big
-- tables pass 1 MB (every ~100 births of 50 metrics) they are truncated after all. Measured for 50-metric
-- re-births (docs/sql-api.md): TRUNCATE every call 17-22 ms per call; this, 6-7 ms; a 4 MB limit, 9-10 ms.
create function uns_meta.ingest_birth__reset_staging(p_device_id bigint, p_topic text, p_chunk_index integer)
  returns void
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_expected integer;
begin
  if pg_relation_size(to_regclass('pg_temp.uns_meta_stage_props')) + pg_relation_size(to_regclass('pg_temp.uns_meta_stage_metrics'))
     > 1024 * 1024 then
    truncate uns_meta_stage_metrics, uns_meta_stage_segments, uns_meta_stage_props, uns_meta_stage_prop_changes;
  elsif exists (select from uns_meta_stage_metrics) then
    delete from uns_meta_stage_metrics;
    delete from uns_meta_stage_segments;
    delete from uns_meta_stage_props;
    delete from uns_meta_stage_prop_changes;
  end if;
  if coalesce(p_chunk_index, 0) = 0 then
    -- Also what an earlier transaction left (it committed in the middle of a chunked birth).
    delete from uns_meta_birth_state where device_id = p_device_id or xact <> pg_current_xact_id();
    delete from uns_meta_birth_names as n
     where n.device_id = p_device_id or not exists (select from uns_meta_birth_state as b where b.device_id = n.device_id);
    insert into uns_meta_birth_state (device_id, next_chunk, changed, rules_version)
    values (p_device_id, 1, false, uns_meta.path_rules_version());
  else
    select next_chunk into v_expected from uns_meta_birth_state where device_id = p_device_id and xact = pg_current_xact_id();
    if v_expected is distinct from p_chunk_index then
      raise exception using errcode = 'U0003',
        message = format('ingest_birth: chunk %s of %s arrived, but this transaction expects chunk %s; send chunks 0, 1, 2, ... of one birth in one transaction',
                         p_chunk_index, p_topic, coalesce(v_expected::text, '0'));
    end if;
    update uns_meta_birth_state set next_chunk = next_chunk + 1 where device_id = p_device_id;
  end if;
end
$$;
comment on function uns_meta.ingest_birth__reset_staging(bigint, text, integer) is
  'ingest_birth step 4: empties the session''s staging tables and starts or advances the device''s chunk bookkeeping (U0003 for a chunk out of order).';
revoke all on function uns_meta.ingest_birth__reset_staging(bigint, text, integer) from public;
grant execute on function uns_meta.ingest_birth__reset_staging(bigint, text, integer) to uns_meta_app;

commit;
