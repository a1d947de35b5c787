-- Who and where the demo runs, and how long ingest_birth waits before the Canary sync job runs.
select current_user as role,
       current_database() as db,
       coalesce(uns_meta.setting_interval('debounce_interval'), interval '3 minutes')::text as debounce,
       extract(epoch from coalesce(uns_meta.setting_interval('debounce_interval'), interval '3 minutes'))::float8 as debounce_seconds;
