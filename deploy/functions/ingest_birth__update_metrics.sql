-- Deploy uns_meta:functions/ingest_birth__update_metrics to pg
-- requires: tables/metrics tables/metric_versions tables/metric_path_lineage
begin;

-- Step 10 of ingest_birth: for the existing staged metrics (not rejected), one version per changed metric ('updated',
-- or 'revived' for a retired one; source p_source) with the diff of its fields and properties, then the metrics rows
-- themselves, then path lineage for changed paths. p_inserted: the metrics step 8 created (for the unchanged count).
-- Returns the versions written (o_versions = o_updated + o_revived), the unchanged metrics and the lineage rows.
create function uns_meta.ingest_birth__update_metrics(p_source text, p_inserted integer, out o_versions integer, out o_updated integer, out o_revived integer, out o_unchanged integer, out o_lineage integer)
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
begin
  insert into uns_meta.metric_versions (metric_id, version_no, change_kind, source, diff)
  select s.metric_id, s.old_version + 1, case when s.old_retired_at is not null then 'revived' else 'updated' end, p_source,
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
  get diagnostics o_versions = row_count;

  update uns_meta.metrics as m
     set uns_path = s.uns_path, datatype = s.datatype, alias = s.alias, is_historical = s.is_historical,
         is_transient = s.is_transient, retired_at = null, properties_hash = s.props_hash,
         version = case when s.changed then m.version + 1 else m.version end
    from uns_meta_stage_metrics as s
   where m.metric_id = s.metric_id and not s.is_new and s.reject_reason is null
     and (s.changed or s.props_hash is distinct from s.old_props_hash);

  select count(*) filter (where old_retired_at is not null) into o_revived
    from uns_meta_stage_metrics where not is_new and reject_reason is null and metric_id is not null;

  insert into uns_meta.metric_path_lineage (metric_id, old_uns_path, new_uns_path, reason)
  select metric_id, old_uns_path, uns_path, 'path rules applied at birth ' || p_source
    from uns_meta_stage_metrics
   where not is_new and reject_reason is null and uns_path <> old_uns_path
   order by ord
  on conflict on constraint uq_lineage do nothing;
  get diagnostics o_lineage = row_count;

  o_unchanged := (select count(*) from uns_meta_stage_metrics where reject_reason is null) - p_inserted - o_versions;
  o_updated := o_versions - o_revived;
end
$$;
comment on function uns_meta.ingest_birth__update_metrics(text, integer) is
  'ingest_birth step 10: versions and updates the changed existing metrics (updated or revived), writes path lineage; returns versions, updated, revived, unchanged and lineage counts.';
revoke all on function uns_meta.ingest_birth__update_metrics(text, integer) from public;
grant execute on function uns_meta.ingest_birth__update_metrics(text, integer) to uns_meta_app;

commit;
