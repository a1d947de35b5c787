-- One DBIRTH, or one chunk of it ({"chunk": {"index": i, "last": bool}}), in the caller's transaction.
select uns_meta.ingest_birth($1::jsonb) as summary
