-- uns-meta status: dead letters of the ingestor (append-only: all, and those of the last 24 hours) and the open
-- ones of the Canary sync.
select (select count(*) from uns_meta.dead_letters)::int as ingest_total,
       (select count(*) from uns_meta.dead_letters where dead_lettered_at > now() - interval '24 hours')::int as ingest_last_24h,
       (select count(*) from uns_meta.canary_dead_letters where resolved_at is null)::int as canary_open
