// Gauges of the catalog on the worker's /metrics, read from the database at each scrape (src/worker/sql/catalog-gauges.sql):
// what the processes' own counters cannot see — parity with Canary, open dead letters, jobs overdue after the debounce.
// Every worker exports the same values (they are the database's): aggregate them with max(), not sum().
import { Gauge, type Registry } from 'prom-client';
import type pg from 'pg';
import type { Logger } from 'pino';
import { workerSql } from './sql.ts';

export const PARITY_STATUSES = ['in_sync', 'pending', 'never_synced', 'dead_letter'] as const;

interface CatalogRow {
  metrics_by_status: Record<string, string | number>;
  parity_lag_seconds: number;
  open_dead_letters: number;
  jobs_due: number;
  jobs_overdue_seconds: number;
}

export function registerCatalogMetrics(registry: Registry, pool: pg.Pool, logger: Logger): void {
  const registers = [registry];
  let reading: Promise<CatalogRow | undefined> | undefined;
  // One query per scrape for all five gauges: the first gauge collected starts it, the others share it.
  const read = (): Promise<CatalogRow | undefined> => {
    reading ??= pool.query<CatalogRow>(workerSql['catalog-gauges']).then(
      (r) => r.rows[0],
      (err: unknown) => {
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'catalog gauges: the database did not answer; /metrics keeps the last values');
        return undefined;
      },
    ).finally(() => setImmediate(() => { reading = undefined; }));
    return reading;
  };
  new Gauge({
    name: 'uns_meta_catalog_metrics', help: 'Metrics of the catalog by Canary parity status (uns_meta.canary_parity.status)', labelNames: ['status'], registers,
    async collect() {
      const row = await read();
      if (row) for (const status of PARITY_STATUSES) this.set({ status }, Number(row.metrics_by_status[status] ?? 0));
    },
  });
  const scalar = (name: string, help: string, pick: (row: CatalogRow) => number) => new Gauge({
    name, help, registers,
    async collect() {
      const row = await read();
      if (row) this.set(pick(row));
    },
  });
  scalar('uns_meta_catalog_parity_lag_seconds', 'Age of the oldest catalog change Canary has not confirmed (0 when every metric is in sync)', (r) => r.parity_lag_seconds);
  scalar('uns_meta_catalog_canary_dead_letters_open', 'Canary dead letters not yet replayed (uns_meta.canary_dead_letters, resolved_at null)', (r) => r.open_dead_letters);
  scalar('uns_meta_worker_jobs_due', 'canary_sync_device jobs whose debounce has expired (run_at <= now()), taken or not', (r) => r.jobs_due);
  scalar('uns_meta_worker_jobs_overdue_seconds', 'How long the oldest due canary_sync_device job has waited past its run_at (0 when none)', (r) => r.jobs_overdue_seconds);
}
