// The ingestor's runtime SQL, one statement per file in ./sql, read once at start-up.
import { readFileSync } from 'node:fs';

const NAMES = ['birth_is_current', 'ingest_birth', 'lookup_aliases', 'upsert_aliases', 'prune_aliases', 'insert_dead_letters', 'ping', 'cancel_backends'] as const;
export type SqlName = (typeof NAMES)[number];
export type SqlText = Record<SqlName, string>;

let cache: SqlText | undefined;

export function ingestSql(): SqlText {
  if (cache) return cache;
  const loaded = {} as SqlText;
  for (const name of NAMES) loaded[name] = readFileSync(new URL(`./sql/${name}.sql`, import.meta.url), 'utf8');
  cache = loaded;
  return loaded;
}
