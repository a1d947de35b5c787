// The catalog gauges on the worker's /metrics (src/worker/catalog-metrics.ts) read the database at each scrape:
// metrics per Canary parity status, open Canary dead letters, due sync jobs and how long they have been overdue.
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCatalogMetrics } from '../../src/worker/catalog-metrics.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { birth, ingest, setDebounce } from './helpers.ts';

let db: TestDatabase;
const registry = new Registry();

beforeAll(async () => {
  db = await createTestDatabase();
  await setDebounce(db, '0 seconds');
  registerCatalogMetrics(registry, db.pool('uns_meta_app'), pino({ level: 'silent' }));
});
afterAll(async () => {
  await db.drop();
});

/** The value of one series of the registry's exposition, e.g. `uns_meta_worker_jobs_due` or `uns_meta_catalog_metrics{status="pending"}`. */
async function value(series: string): Promise<number> {
  const text = await registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`${series} is not in the exposition:\n${text}`);
  return Number(line.slice(series.length + 1));
}

describe('catalog gauges', () => {
  it('count metrics by parity status, due jobs and their delay past the debounce, open Canary dead letters', async () => {
    expect(await value('uns_meta_worker_jobs_due')).toBe(0);
    expect(await value('uns_meta_catalog_parity_lag_seconds')).toBe(0);

    await ingest(db, birth('Gauges', { 'Area/a': { engUnit: 'bar' }, 'Area/b': { engUnit: 'bar' }, 'Area/c': { engUnit: 'mm' } }));
    expect(await value('uns_meta_catalog_metrics{status="never_synced"}')).toBe(3);
    expect(await value('uns_meta_catalog_metrics{status="in_sync"}')).toBe(0);
    expect(await value('uns_meta_worker_jobs_due')).toBe(1);
    const lag = await value('uns_meta_catalog_parity_lag_seconds');
    expect(lag).toBeGreaterThan(0);
    expect(lag).toBeLessThan(120);

    // the job has waited ten minutes past its run_at, as if no worker ran
    await db.pool('uns_meta_admin').query(`update graphile_worker._private_jobs set run_at = now() - interval '600 seconds'`);
    const overdue = await value('uns_meta_worker_jobs_overdue_seconds');
    expect(overdue).toBeGreaterThanOrEqual(600);
    expect(overdue).toBeLessThan(720);

    await db.pool('uns_meta_app').query(
      `insert into uns_meta.canary_dead_letters (metric_id, version, canary_tag, properties, error)
       select metric_id, version, 'Secil.Portugal.Gauges.Area.a', '{}', 'test' from uns_meta.metrics where name = 'Area/a'`);
    expect(await value('uns_meta_catalog_canary_dead_letters_open')).toBe(1);
    expect(await value('uns_meta_catalog_metrics{status="dead_letter"}')).toBe(1);
    expect(await value('uns_meta_catalog_metrics{status="never_synced"}')).toBe(2);
  });
});
