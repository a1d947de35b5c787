// The worker's SQL, kept in src/worker/sql/*.sql and read once at start-up.
import { readFileSync } from 'node:fs';

const names = ['pending-metrics', 'confirm', 'dead-letter', 'open-dead-letters', 'stale-workers', 'orphaned-jobs', 'refresh-statistics', 'catalog-gauges'] as const;
export type SqlName = (typeof names)[number];

export const workerSql: Record<SqlName, string> = Object.fromEntries(
  names.map((name) => [name, readFileSync(new URL(`./sql/${name}.sql`, import.meta.url), 'utf8')]),
) as Record<SqlName, string>;
