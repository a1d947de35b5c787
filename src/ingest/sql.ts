// The ingestor's runtime SQL, one statement per file in ./sql (src/runtime/sql.ts loads them).
import { loadSql } from '../runtime/sql.ts';

export const ingestSql = loadSql(new URL('./sql/', import.meta.url),
  ['birth_is_current', 'ingest_birth', 'lookup_aliases', 'upsert_aliases', 'prune_aliases', 'insert_dead_letters', 'ping', 'cancel_backends']);
export type SqlText = typeof ingestSql;
export type SqlName = keyof SqlText;
