-- Deploy uns_meta:functions/refresh_catalog_statistics to pg
-- requires: functions/refresh_catalog_statistics@v0.4.0
begin;

-- Planner statistics right after a bulk load. A first birth of 100,000 metrics leaves `metrics` and
-- `metric_properties` without statistics until autovacuum gets to them (a minute or more); a sync job that runs
-- before that gets plans made for a near-empty table: its page query read every remaining metric of the device
-- for each page of 1000 (quadratic; 7.2 s instead of 2.8 s of database time for 100,000 metrics, docs/worker.md).
-- The worker calls this before each sync. It analyzes a table that was never analyzed once it holds 64 pages
-- (512 kB), or that has grown by more than 20 % + 64 pages since pg_class.relpages was last set (by ANALYZE or
-- VACUUM). Growth is read from the table's size on disk, which is current at once, rather than from the cumulative
-- statistics (n_mod_since_analyze), which a backend reports up to 10 s after its commit. Usually the call costs a
-- catalog lookup. Only the columns the worker's queries filter and join on are analyzed (about half the time of
-- a full ANALYZE); such an ANALYZE still updates relpages and reltuples but leaves n_mod_since_analyze alone, so
-- autovacuum still runs its full ANALYZE for the analysts' queries. SECURITY DEFINER: ANALYZE needs the table
-- owner (uns_meta_admin), which the worker's role is not.
-- When another session is running it already (advisory lock taken), it returns at once instead of waiting; a
-- table another session writes or locks is skipped (after 200 ms, see below).
-- Reworked (@v0.4.0 → now): a table another transaction is still writing in bulk is left alone. Its rows are on
-- disk but not committed, so the size test passes while ANALYZE counts none of them: it would record a near-empty
-- table, and that transaction (a 100,000-metric first birth in ingest_birth) would re-plan its next statements for
-- it and run for many minutes (found when the worker started refreshing while idle). Before analyzing, the function
-- takes the table in SHARE mode, which waits for the transactions writing it: a small birth ends within the 200 ms
-- it waits; a bulk write still running then makes it skip the table (a notice) and try again on its next call,
-- after the commit. Writers wait for the SHARE lock and the ANALYZE that follows (0.1-0.6 s for 100,000 metrics).
create or replace function uns_meta.refresh_catalog_statistics() returns text[]
  language plpgsql volatile security definer
  set search_path = pg_catalog, pg_temp
  set lock_timeout = '2s'
as $$
declare
  v_table text;
  v_columns text;
  v_analyzed text[] := '{}'::text[];
begin
  if not pg_try_advisory_xact_lock(hashtext('uns_meta.refresh_catalog_statistics')) then
    return v_analyzed;
  end if;
  for v_table, v_columns in
    select c.relname, t.columns
      from (values ('metrics', 'metric_id, device_id'),
                   ('metric_properties', 'metric_id, key, type'),
                   ('canary_sync_state', 'metric_id, confirmed_version')) as t(relname, columns)
      join pg_class as c on c.relname = t.relname and c.relnamespace = 'uns_meta'::regnamespace
      left join pg_stat_user_tables as s on s.relid = c.oid
     cross join lateral (select pg_relation_size(c.oid) / current_setting('block_size')::bigint as pages) as on_disk
     where case when s.last_analyze is null and s.last_autoanalyze is null then on_disk.pages >= 64
                else on_disk.pages > 1.2 * c.relpages + 64 end
     order by c.relname
  loop
    -- No writer may be in the middle of a bulk insert (see above): wait up to 200 ms for the writers to finish.
    begin
      perform set_config('lock_timeout', '200ms', true);
      execute format('lock table uns_meta.%I in share mode', v_table);
    exception when lock_not_available then
      raise notice 'refresh_catalog_statistics: another transaction is still writing uns_meta.% (or holds it); not analyzed this time', v_table;
      continue;
    end;
    -- The SHARE lock already kept out writers and a DBA's VACUUM; ANALYZE's own lock can still meet one SHARE lets in
    -- (a plain CREATE INDEX): such a table is skipped after 2 s rather than holding up the sync.
    begin
      perform set_config('lock_timeout', '2s', true);
      execute format('analyze uns_meta.%I (%s)', v_table, v_columns);
      v_analyzed := v_analyzed || v_table;
    exception when lock_not_available then
      raise notice 'refresh_catalog_statistics: uns_meta.% is locked by another session; not analyzed', v_table;
    end;
  end loop;
  return v_analyzed;
end
$$;
comment on function uns_meta.refresh_catalog_statistics() is
  'ANALYZEs the columns the worker filters and joins on of metrics, metric_properties and canary_sync_state when never analyzed and at least 64 pages, or grown by more than 20 % + 64 pages since pg_class.relpages was set, unless another transaction is still writing the table; returns the tables analyzed. The worker calls it while idle and before each sync, so a sync after a bulk birth is planned with real statistics.';
revoke all on function uns_meta.refresh_catalog_statistics() from public;
grant execute on function uns_meta.refresh_catalog_statistics() to uns_meta_app;

commit;
