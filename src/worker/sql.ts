// The worker's SQL, one statement per file in ./sql (src/runtime/sql.ts loads them).
import { loadSql } from '../runtime/sql.ts';

export const workerSql = loadSql(new URL('./sql/', import.meta.url),
  ['pending-metrics', 'confirm', 'dead-letter', 'open-dead-letters', 'stale-workers', 'orphaned-jobs', 'job-superseded', 'superseded-jobs', 'refresh-statistics', 'catalog-gauges']);
export type SqlName = keyof typeof workerSql;
