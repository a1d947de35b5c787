-- uns-meta status: uns_meta.settings as one JSON object.
select coalesce(jsonb_object_agg(key, value order by key), '{}'::jsonb) as settings from uns_meta.settings
