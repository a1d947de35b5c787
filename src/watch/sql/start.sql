-- uns-meta watch: where the feed starts (it shows what commits from now on); a catch-up after a reconnection reads
-- from here or from the last notification it handled.
select coalesce(max(version_id), 0)::text as version_id, now() as at from uns_meta.metric_versions
