-- Deploy uns_meta:functions/ingest_birth__retire_missing to pg
-- requires: tables/metrics tables/metric_versions tables/metric_path_lineage functions/spb_datatype_name
begin;

-- Step 11 of ingest_birth, on the last (or only) call of a birth: retires the live metrics of device p_device_id that
-- the birth does not name (this call's staged names, or every chunk's: uns_meta_birth_names), at p_received_at, with
-- a 'retired' version each (source p_source). A retired metric paired one-to-one with a metric the birth created --
-- the same alias on edge node p_edge, or else the same datatype and property set -- is a rename
-- (docs/sql-api.md#renames): its version names the new metric (renamed_to), and path lineage links the paths.
-- Returns the metrics retired and the lineage rows written.
create function uns_meta.ingest_birth__retire_missing(p_device_id bigint, p_edge text, p_chunk_index integer, p_received_at timestamptz, p_source text, out o_retired integer, out o_lineage integer)
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  o_lineage := 0;
  -- The names of this birth: this call's metrics, or every chunk's for a chunked birth.
  with birth_names as (
    select name from uns_meta_stage_metrics where p_chunk_index is null
    union all
    select name from uns_meta_birth_names where p_chunk_index is not null and device_id = p_device_id
  ), retired as (
    update uns_meta.metrics as m set retired_at = p_received_at, version = m.version + 1
     where m.device_id = p_device_id and m.retired_at is null
       and m.name not in (select n.name from birth_names as n)  -- a hashed subplan, whatever the estimates
    returning m.metric_id, m.version, m.name, m.uns_path, m.datatype, m.alias, m.properties_hash
  ), born as (
    -- Renames (docs/sql-api.md#renames): the metrics this birth created (named by it, with a first version of this
    -- birth: all its chunks share the source), looked at only when the birth retires something.
    select m.metric_id, m.name, m.uns_path, m.datatype, m.alias, m.properties_hash
      from uns_meta.metrics as m
     where m.device_id = p_device_id and m.name in (select n.name from birth_names as n)
       and exists (select from uns_meta.metric_versions as v
                    where v.metric_id = m.metric_id and v.version_no = 1 and v.change_kind = 'created'
                      and v.source = p_source and v.changed_at = now())
       and exists (select from retired)
  ), by_alias as (  -- evidence 1: the same alias (aliases are per edge node; both metrics are of this device)
    select r.metric_id as old_id, b.metric_id as new_id,
           format('alias %s on edge node %s', r.alias, p_edge) as evidence
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
           format('renamed at birth %s: metric %s (%s) retired and metric %s (%s) created with %s', p_source, old_id,
                  old_name, new_id, new_name, evidence)
      from renames
     where old_path <> new_path
     order by new_id
    on conflict on constraint uq_lineage do nothing
    returning 1
  )
  insert into uns_meta.metric_versions (metric_id, version_no, change_kind, source, diff)
  select r.metric_id, r.version, 'retired', p_source,
         jsonb_build_object('retired_at', jsonb_build_object('old', null, 'new', p_received_at))
         || case when n.new_id is not null
                 then jsonb_build_object('renamed_to', jsonb_build_object('metric_id', n.new_id, 'name', n.new_name,
                                                                          'uns_path', n.new_path, 'evidence', n.evidence))
                 else '{}' end
    from retired as r left join renames as n on n.old_id = r.metric_id
   order by r.metric_id;
  get diagnostics o_retired = row_count;
  if o_retired > 0 then
    o_lineage := (select count(*) from uns_meta.metric_versions as v
                   where v.metric_id in (select m.metric_id from uns_meta.metrics as m
                                          where m.device_id = p_device_id and m.retired_at = p_received_at)
                     and v.source = p_source and v.change_kind = 'retired' and v.changed_at = now()
                     and v.diff ? 'renamed_to'
                     and v.diff #>> '{renamed_to,uns_path}' <> (select m.uns_path from uns_meta.metrics as m where m.metric_id = v.metric_id));
  end if;
end
$$;
comment on function uns_meta.ingest_birth__retire_missing(bigint, text, integer, timestamptz, text) is
  'ingest_birth step 11 (last call): retires the device''s live metrics the birth does not name, linking renames (renamed_to, path lineage); returns the counts of metrics retired and lineage rows.';
revoke all on function uns_meta.ingest_birth__retire_missing(bigint, text, integer, timestamptz, text) from public;
grant execute on function uns_meta.ingest_birth__retire_missing(bigint, text, integer, timestamptz, text) to uns_meta_app;

commit;
