// An idle `uns-meta worker` refreshes the catalog statistics every WORKER_STATS_REFRESH_MS, so a bulk birth is
// analyzed while its sync job waits out the debounce rather than when the sync starts. Autovacuum is off for the
// tables in this clone: only the worker analyzes them.
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { birth, ingest, setDebounce, startTestWorker, storeRequests, useWorkerFixture, waitFor } from './helpers.ts';

const fx = useWorkerFixture();

const lastAnalyze = async (table: string) => (await fx.db.pool('uns_meta_admin').query<{ at: Date | null }>(
  `select last_analyze as at from pg_stat_user_tables where schemaname = 'uns_meta' and relname = $1`, [table])).rows[0]?.at ?? null;

beforeAll(async () => {
  for (const t of ['metrics', 'metric_properties', 'canary_sync_state']) {
    await fx.db.pool('uns_meta_admin').query(`alter table uns_meta.${t} set (autovacuum_enabled = false)`);
  }
});

describe('statistics refresh while the debounce runs', () => {
  it('analyzes a bulk birth before its sync job is due, and not at all when WORKER_STATS_REFRESH_MS is 0', async () => {
    await setDebounce(fx.db, '1 hour');
    const metrics = Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`Bulk/m${i}`, { engUnit: 'kW', documentation: `metric ${i}` }]));
    await ingest(fx.db, birth('Bulk', metrics));

    fx.worker = await startTestWorker(fx.sim, fx.db, { WORKER_STATS_REFRESH_MS: '0' });
    await sleep(1000);
    expect(await lastAnalyze('metrics')).toBeNull(); // no job ran, no timer: nothing analyzed the table
    await fx.worker.stop();

    fx.worker = await startTestWorker(fx.sim, fx.db, { WORKER_STATS_REFRESH_MS: '200' });
    await waitFor('metrics analyzed by the idle worker', async () => (await lastAnalyze('metrics')) !== null);
    expect(await lastAnalyze('metric_properties')).not.toBeNull();
    // the sync itself has not started: the job still waits out its debounce, nothing was sent
    const { rows } = await fx.db.pool('uns_meta_admin').query<{ waiting: boolean }>(
      `select run_at > now() + interval '50 minutes' as waiting from graphile_worker.jobs`);
    expect(rows).toEqual([{ waiting: true }]);
    expect(storeRequests(fx.sim)).toHaveLength(0);
  });
});
