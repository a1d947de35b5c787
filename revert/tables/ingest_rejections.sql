-- Revert uns_meta:tables/ingest_rejections from pg
begin;
drop table uns_meta.ingest_rejections;
commit;
