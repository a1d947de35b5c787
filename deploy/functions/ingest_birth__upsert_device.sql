-- Deploy uns_meta:functions/ingest_birth__upsert_device to pg
-- requires: functions/path_rules tables/devices tables/device_path_lineage
begin;

-- The advisory lock that serialises the births of one device (ingest_birth takes it first, in step 3). Everything
-- else that writes a device's versions takes it too (triggers/catalog_changes), so a birth never numbers its versions
-- from a catalog another writer is changing.
create function uns_meta.device_birth_lock(group_id text, edge text, device text) returns bigint
  language sql immutable parallel safe
return hashtextextended('uns_meta.ingest_birth/' || group_id || '/' || edge || '/' || device, 0);
comment on function uns_meta.device_birth_lock(text, text, text) is
  'The advisory lock key of a device''s births (pg_advisory_xact_lock); taken by ingest_birth and by every other writer of the device''s versions.';
revoke all on function uns_meta.device_birth_lock(text, text, text) from public;
grant execute on function uns_meta.device_birth_lock(text, text, text) to uns_meta_app;

-- Step 3 of ingest_birth: the device of topic p_topic (split in p_parts). Takes its birth lock for the rest of the
-- transaction, creates it or follows a changed path (with device lineage), and returns what the later steps need:
-- its base path (before rewrite rules, the prefix of every metric path), its path, its old path (null for a new
-- device), whether its live metric paths are those of the current rules (o_paths_current), and whether it changed.
create function uns_meta.ingest_birth__upsert_device(
  p_topic text, p_parts text[], p_source text,
  out o_device_id bigint, out o_base_path text, out o_device_path text, out o_old_path text,
  out o_paths_current boolean, out o_changed boolean)
  language plpgsql volatile
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_device_rules text;
  v_owner        text;
begin
  o_changed := false;
  perform pg_advisory_xact_lock(uns_meta.device_birth_lock(p_parts[2], p_parts[4], p_parts[5]));
  o_base_path := uns_meta.device_base_path(p_parts[2], p_parts[4], p_parts[5]);
  if o_base_path is null then
    raise exception using errcode = 'U0001',
      message = format('ingest_birth: field "topic" (%s): a Sparkplug id normalises to an empty UNS segment', p_topic);
  end if;
  o_device_path := uns_meta.rewrite_path(o_base_path);
  select d.device_id, d.uns_path, d.path_rules_version into o_device_id, o_old_path, v_device_rules
    from uns_meta.devices as d
   where d.group_id = p_parts[2] and d.edge = p_parts[4] and d.device = p_parts[5];
  if o_old_path is distinct from o_device_path then
    select format('device %s (%s/%s/%s)', d.device_id, d.group_id, d.edge, d.device) into v_owner
      from uns_meta.devices as d where d.uns_path = o_device_path;
    if found then
      raise exception using errcode = 'U0004',
        message = format('ingest_birth: the UNS path %s of topic %s is already the path of %s; change the path rules or the device id',
                         o_device_path, p_topic, v_owner);
    end if;
    if o_device_id is null then
      insert into uns_meta.devices (group_id, edge, device, country, business_unit, uns_path)
      values (p_parts[2], p_parts[4], p_parts[5], split_part(o_device_path, '/', 2), split_part(o_device_path, '/', 3), o_device_path)
      returning device_id into o_device_id;
    else
      update uns_meta.devices
         set uns_path = o_device_path, country = split_part(o_device_path, '/', 2),
             business_unit = split_part(o_device_path, '/', 3)
       where device_id = o_device_id;
      insert into uns_meta.device_path_lineage (device_id, old_uns_path, new_uns_path, reason)
      values (o_device_id, o_old_path, o_device_path, 'path rules applied at birth ' || p_source)
      on conflict on constraint uq_device_lineage do nothing;
    end if;
    o_changed := true;
  end if;
  -- Under the rules the device's live metric paths were computed with (devices.path_rules_version), a live
  -- metric keeps its path (step 5), and a birth identical to the last one applied in full changes nothing (3b).
  o_paths_current := v_device_rules is not distinct from uns_meta.path_rules_version() and v_device_rules is not null;
end
$$;
comment on function uns_meta.ingest_birth__upsert_device(text, text[], text) is
  'ingest_birth step 3: takes the device''s birth lock, creates the device or follows its changed path (device lineage), and returns its id, base path, path, old path, whether its metric paths are current and whether it changed.';
revoke all on function uns_meta.ingest_birth__upsert_device(text, text[], text) from public;
grant execute on function uns_meta.ingest_birth__upsert_device(text, text[], text) to uns_meta_app;

commit;
