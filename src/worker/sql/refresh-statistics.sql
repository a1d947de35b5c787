-- Before each sync and every WORKER_STATS_REFRESH_MS: ANALYZE the catalog tables a bulk birth grew since their last
-- analyze (uns_meta.refresh_catalog_statistics, deploy/functions/refresh_catalog_statistics.sql), so the page query is
-- not planned for a near-empty table.
select uns_meta.refresh_catalog_statistics() as analyzed
