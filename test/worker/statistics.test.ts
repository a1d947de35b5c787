// An idle `uns-meta worker` refreshes the catalog statistics every WORKER_STATS_REFRESH_MS, so a bulk birth is
// analyzed while its sync job waits out the debounce rather than when the sync starts. Autovacuum is off for the
// tables in this clone: only the worker analyzes them.
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
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

  it('does not refresh while the worker syncs: canary_sync_state is not analyzed again and again as the sync fills it', { timeout: 120_000 }, async () => {
    await setDebounce(fx.db, '0 seconds');
    // The worker's log lines in the order it wrote them: the refreshes that analyzed something, and the job's end.
    const records: { msg: string; analyzed?: string[]; deviceId?: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line) as (typeof records)[number]) });
    // a timer far faster than the sync, and small pages: many ticks while canary_sync_state grows by thousands of rows
    fx.worker = await startTestWorker(fx.sim, fx.db, { WORKER_STATS_REFRESH_MS: '20', WORKER_PAGE_SIZE: '250' }, logger);
    const metrics = Object.fromEntries(Array.from({ length: 8000 }, (_, i) => [`Big/m${i}`, { engUnit: 'kW', documentation: `metric ${i} of a big birth` }]));
    await ingest(fx.db, birth('Big', metrics));
    const synced = await waitFor('the big device synced', () => {
      const at = records.findIndex((r) => r.msg === 'device synced to Canary');
      return Promise.resolve(at >= 0 ? at : undefined);
    }, 100_000);
    // the sync confirmed every metric: enough rows for the refresh to analyze canary_sync_state (it does, once idle)
    const { rows: [state] } = await fx.db.pool('uns_meta_admin').query<{ n: number }>('select count(*)::int as n from uns_meta.canary_sync_state');
    expect(state?.n).toBeGreaterThanOrEqual(8000);
    await waitFor('canary_sync_state analyzed by the idle worker', () =>
      Promise.resolve(records.some((r) => r.msg === 'analyzed catalog tables a bulk birth grew' && r.analyzed?.includes('canary_sync_state'))));
    // ... but not before the job ended (canary_sync_state was empty when the sync's own refresh ran)
    const analyzedDuringSync = records.slice(0, synced)
      .filter((r) => r.msg === 'analyzed catalog tables a bulk birth grew' && r.analyzed?.includes('canary_sync_state'));
    expect(analyzedDuringSync).toEqual([]);
  });
});
