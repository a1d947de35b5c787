// `uns-meta worker` in-process (startWorker) from start to stop, checked for what ops see: the start and stop lines,
// one line per job (synced, or retried while Canary fails), graphile-worker's own lines at the levels ops filter on,
// the jobs of dead workers and stranded superseded jobs cleaned up at start, /readyz while the database is
// unreachable and once it answers, a misconfigured database refused with nothing left open, and no timer left running
// after stop(). Each test has its own device.
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { runOperatorSync, startWorker } from '../../src/worker/index.ts';
import { configFor } from '../support/database.ts';
import { freePort } from '../ingest/support/ports.ts';
import { startTcpProxy } from '../ingest/support/tcp-proxy.ts';
import { birth, deviceIdOf, ingest, parity, recordingLogger, testConfig, useWorkerFixture, waitFor } from './helpers.ts';

const fx = useWorkerFixture();

const deviceInSync = async (device: string) => {
  const rows = (await parity(fx.db)).filter((r) => r.uns_path.startsWith(`Secil/Portugal/${device}/`));
  return rows.length > 0 && rows.every((r) => r.status === 'in_sync');
};
const noJobLeft = async () => (await fx.db.pool('uns_meta_admin').query('select 1 from graphile_worker.jobs')).rowCount === 0;
const counter = async (c: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }) =>
  Object.fromEntries((await c.get()).values.map((v) => [String(v.labels.outcome), v.value]));

describe('a worker from start to stop', () => {
  it('logs its start, one line per job it ran (only its device synced), graphile-worker\'s lines below info, and nothing after its stop', async () => {
    await ingest(fx.db, birth('Run', { 'W/a': { engUnit: 'bar', documentation: 'a' }, 'W/b': { engUnit: 'kW' } }));
    await ingest(fx.db, birth('NotRun', { 'W/x': { engUnit: 'bar' } }));
    const run = await deviceIdOf(fx.db, 'Run');
    // the job of NotRun is gone: this worker syncs Run only
    await fx.db.pool('uns_meta_admin').query(`delete from graphile_worker._private_jobs where payload->>'device_id' = $1`, [await deviceIdOf(fx.db, 'NotRun')]);
    const signals = ['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s));
    const log = recordingLogger();
    const config = testConfig(fx.sim, fx.db, { WORKER_STATS_REFRESH_MS: '100' });
    const t0 = Date.now();
    fx.worker = await startWorker(config, { logger: log.logger, database: configFor(fx.db.url('uns_meta_app')) });
    expect(['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s))).toEqual(signals); // the CLI owns the signals

    await waitFor('Run in sync', () => deviceInSync('Run'));
    await waitFor('no job left', noJobLeft);
    const elapsed = Date.now() - t0;
    const started = log.msgs('worker started');
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ level: 30, canary: fx.sim.url, dataset: '(group)', rateLimitRps: config.rateLimitRps });
    expect(started[0]!.workerPool).toEqual(expect.any(String));
    expect(started[0]).not.toHaveProperty('metricsPort');
    const synced = log.msgs('device synced to Canary');
    expect(synced).toHaveLength(1);
    expect(synced[0]).toMatchObject({ level: 30, deviceId: run, metrics: 2, written: 2, unchanged: 0, skipped: 0, requests: 1, deadLettered: 0, failed: 0, attempt: 1 });
    expect(synced[0]!.ms as number).toBeGreaterThanOrEqual(0);
    expect(synced[0]!.ms as number).toBeLessThanOrEqual(elapsed);
    expect(await counter(fx.worker.deps.metrics.jobs)).toEqual({ done: 1 });
    expect(await deviceInSync('NotRun')).toBe(false);
    // graphile-worker's own lines: its info lines (one per job) at debug, never at info
    const graphile = log.records().filter((r) => r.graphile !== undefined);
    expect(graphile.filter((r) => r.level === 20).length).toBeGreaterThan(0);
    expect(graphile.filter((r) => r.level !== 20)).toEqual([]);
    // a clean start: nothing unlocked or removed, nothing failed
    expect(log.records().filter((r) => (r.level as number) >= 40)).toEqual([]);
    // without METRICS_PORT, no probe and no catalog gauges
    expect(fx.worker.probe).toBeUndefined();
    expect((await fx.worker.deps.metrics.registry.getMetricsAsJSON()).filter((m) => m.name.startsWith('uns_meta_catalog'))).toEqual([]);

    await fx.worker.stop();
    fx.worker = undefined;
    const stopped = log.records().length;
    expect(log.records().at(-1)).toMatchObject({ level: 30, msg: 'worker stopped; Canary session revoked' });
    await sleep(3 * 200 + 300); // three WORKER_STALE_CHECK_MS and WORKER_STATS_REFRESH_MS ticks: their timers are gone
    expect(log.records().slice(stopped)).toEqual([]);
  });

  it('passes graphile-worker\'s warnings and errors on at warn and error (a pool smaller than the concurrency; a malformed job)', async () => {
    await fx.db.pool('uns_meta_admin').query(`select graphile_worker.add_job('canary_sync_device', '{"device": 1}'::json, max_attempts => 1)`);
    const log = recordingLogger();
    fx.worker = await startWorker(testConfig(fx.sim, fx.db, { WORKER_DB_POOL_SIZE: '2', WORKER_CONCURRENCY: '3' }),
      { logger: log.logger, database: configFor(fx.db.url('uns_meta_app')) });
    const graphile = () => log.records().filter((r) => r.graphile !== undefined);
    const failed = /canary_sync_device: payload must be \{"device_id": <positive integer>\}, got \{"device":1\}; the job is malformed, delete it/;
    await waitFor('the malformed job failed', () => Promise.resolve(graphile().some((r) => failed.test(String(r.msg)))));
    expect(graphile().filter((r) => r.level === 40).map((r) => r.msg)).toContainEqual(expect.stringMatching(/^WARNING: having maxPoolSize \(2\) smaller than concurrency \(3\)/));
    expect(graphile().filter((r) => failed.test(String(r.msg))).map((r) => r.level)).toEqual([50]);
  });

  it('logs a job that could not deliver as retried, with its attempt, and counts it', async () => {
    await ingest(fx.db, birth('Retried', { 'W/r': { engUnit: 'bar' } }));
    const id = await deviceIdOf(fx.db, 'Retried');
    fx.sim.state.setFaults({ serverError: { methods: ['storeData'] } });
    const log = recordingLogger();
    fx.worker = await startWorker(testConfig(fx.sim, fx.db, { CANARY_RETRY_ATTEMPTS: '1' }), { logger: log.logger, database: configFor(fx.db.url('uns_meta_app')) });
    const w = fx.worker;
    await waitFor('the job retried', async () => (await counter(w.deps.metrics.jobs)).retry === 1);
    const retried = log.msgs('device sync incomplete; graphile-worker retries the job');
    expect(retried).toHaveLength(1);
    expect(retried[0]).toMatchObject({ level: 40, deviceId: id, attempt: 1, maxAttempts: 25 });
    expect(retried[0]!.err).toMatch(/^1 metric change\(s\) not delivered yet: /);
    fx.sim.state.clearFaults();
    await fx.db.pool('uns_meta_admin').query(`update graphile_worker._private_jobs set run_at = now()`);
    await waitFor('Retried in sync', () => deviceInSync('Retried'));
  });

  it('at start, unlocks the jobs of a worker that died and removes the superseded jobs that can never run again', async () => {
    await ingest(fx.db, birth('Ghost', { 'W/g': { engUnit: 'bar' } }));
    const id = await deviceIdOf(fx.db, 'Ghost');
    const admin = fx.db.pool('uns_meta_admin');
    // the device's job, locked an hour ago by a worker pool that has no liveness session (it died)
    await admin.query(`update graphile_worker._private_jobs set locked_by = 'ghost-pool', locked_at = now() - interval '1 hour'`);
    // a keyless sync job of the device whose attempts are spent: superseded by the newer one, never to run again
    const { rows: [stranded] } = await admin.query<{ id: string }>(
      `select id::text from graphile_worker.add_job('canary_sync_device', json_build_object('device_id', $1::bigint), max_attempts => 1)`, [id]);
    await admin.query(`update graphile_worker._private_jobs set attempts = 1, last_error = 'test' where id = $1`, [stranded!.id]);
    const log = recordingLogger();
    fx.worker = await startWorker(testConfig(fx.sim, fx.db), { logger: log.logger, database: configFor(fx.db.url('uns_meta_app')) });
    await waitFor('Ghost in sync', () => deviceInSync('Ghost'));
    expect(log.msgs('unlocked the jobs of worker processes that died')).toMatchObject([{ level: 40, workers: ['ghost-pool'] }]);
    expect(log.msgs('removed 1 superseded sync jobs that can never run again (unlocked after their worker died or lost their release); the newer job of each device sends their changes'))
      .toMatchObject([{ level: 40, jobs: [stranded!.id] }]);
    expect(log.records().filter((r) => String(r.msg).startsWith('unlocked') && String(r.msg).includes('jobs of this worker'))).toEqual([]);
  });
});

describe('a worker whose database is not there yet', () => {
  it('answers /readyz 503 (runner stopped, postgres unreachable) and says it retries, then 200 once the database answers', async () => {
    const proxy = await startTcpProxy(process.env.PGHOST ?? '127.0.0.1', Number(process.env.PGPORT ?? 5432));
    await proxy.cut();
    const url = new URL(fx.db.url('uns_meta_app'));
    url.port = String(proxy.port);
    const port = await freePort();
    const log = recordingLogger();
    const starting = startWorker(testConfig(fx.sim, fx.db, { METRICS_PORT: String(port) }),
      { logger: log.logger, database: configFor(url.toString()), retryDatabaseMs: 100 });
    starting.catch(() => undefined);
    try {
      const readyz = async () => {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`);
        return { status: r.status, body: await r.json() };
      };
      await waitFor('the probe answering', async () => readyz().then(() => true, () => false));
      expect(await readyz()).toEqual({ status: 503, body: { runner: 'stopped', postgres: 'unreachable' } });
      const retrying = () => log.records().filter((r) => r.level === 40 && String(r.msg).endsWith('; retrying (not ready until it answers)'));
      await waitFor('a retry logged', () => Promise.resolve(retrying().length > 0));
      const [retry] = retrying();
      expect(String(retry!.msg)).toBe(`${String(retry!.err)}; retrying (not ready until it answers)`); // the reason first, as the error says it
      expect(String(retry!.err)).not.toBe('undefined');
      await proxy.restore();
      fx.worker = await starting;
      expect(await readyz()).toEqual({ status: 200, body: { runner: 'running', postgres: 'reachable' } });
      expect(log.msgs('worker started')[0]).toMatchObject({ metricsPort: port });
      await proxy.cut(); // and gone again while the worker runs
      await waitFor('readyz 503 while running', async () => (await readyz()).status === 503);
      expect(await readyz()).toEqual({ status: 503, body: { runner: 'running', postgres: 'unreachable' } });
      // a scrape meanwhile still answers; the catalog gauges say why they are stale
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
      const stale = log.msgs('catalog gauges: the database did not answer; /metrics keeps the last values');
      expect(stale.map((r) => [r.level, typeof r.err])).toEqual([[40, 'string']]);
      await proxy.restore();
      // with METRICS_PORT, the catalog gauges are exported
      expect((await fx.worker.deps.metrics.registry.getMetricsAsJSON()).some((m) => m.name.startsWith('uns_meta_catalog'))).toBe(true);
    } finally {
      await fx.worker?.stop();
      fx.worker = undefined;
      await proxy.close();
    }
  });

  it('refuses a database that is not deployed, with its probe closed and no connection left open', async () => {
    const url = new URL(fx.db.url('uns_meta_app'));
    url.pathname = '/postgres'; // reachable, but no uns_meta schema
    const port = await freePort();
    const error = await startWorker(testConfig(fx.sim, fx.db, { METRICS_PORT: String(port) }),
      { logger: pino({ level: 'silent' }), database: configFor(url.toString()), retryDatabaseMs: 100 }).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).constructor.name).toBe('DatabaseMisconfigured');
    await expect(fetch(`http://127.0.0.1:${port}/readyz`)).rejects.toThrow();
    await waitFor('no worker session left', async () => (await fx.db.pool('uns_meta_admin').query(
      `select 1 from pg_stat_activity where application_name = 'uns-meta worker' and datname = 'postgres'`)).rowCount === 0, 5000);
  });
});

describe('an operator\'s resync and replay (runOperatorSync)', () => {
  /** Resolves once no session of the command is left in `database` (default the test's; a backend ends a moment after its client closed it). */
  const noSessionLeft = (action: string, database?: string) => waitFor(`no uns-meta canary ${action} session`, async () => (await fx.db.pool('uns_meta_admin').query(
    'select 1 from pg_stat_activity where datname = coalesce($2, current_database()) and application_name = $1', [`uns-meta canary ${action}`, database ?? null])).rowCount === 0, 5000);

  it('resync re-sends every property of an in-sync device, dead-letters what Canary refuses; replay re-sends only those, then finds none', async () => {
    const props = { engUnit: 'bar', documentation: 'd', highRange: 5 };
    await ingest(fx.db, birth('Operator', { 'O/a': props, 'O/b': props }));
    const selection = { deviceId: await deviceIdOf(fx.db, 'Operator') };
    fx.worker = await startWorker(testConfig(fx.sim, fx.db), { logger: pino({ level: 'silent' }), database: configFor(fx.db.url('uns_meta_app')) });
    await waitFor('Operator in sync', () => deviceInSync('Operator'));
    await fx.worker.stop();
    fx.worker = undefined;
    const op = { selection, dryRun: false, logger: pino({ level: 'silent' }), database: configFor(fx.db.url('uns_meta_app')) };
    const config = testConfig(fx.sim, fx.db, { CANARY_RETRY_ATTEMPTS: '1' });

    const seq = fx.sim.state.requests({ method: 'storeData' }).at(-1)?.seq ?? 0;
    fx.sim.state.setFaults({ latency: { ms: 500, count: 1, methods: ['storeData'] } });
    const resync = runOperatorSync(config, { ...op, action: 'resync' });
    // what a DBA sees in pg_stat_activity while it runs
    await waitFor('the resync\'s session', async () => (await fx.db.pool('uns_meta_admin').query(
      'select 1 from pg_stat_activity where datname = current_database() and application_name = $1', ['uns-meta canary resync'])).rowCount! > 0, 5000);
    expect(await resync).toMatchObject({ metrics: 2, written: 2 });
    const resent = fx.sim.state.requests({ method: 'storeData' }).filter((r) => r.seq > seq);
    expect(resent.reduce((n, r) => n + r.propertyRows, 0)).toBe(2 * Object.keys(props).length); // everything, though in sync
    await noSessionLeft('resync');

    // Canary failing: a resync does not wait for a retry, it dead-letters (O/a, and a metric of another device)
    await ingest(fx.db, birth('Elsewhere', { 'E/z': props }));
    fx.sim.state.setFaults({ serverError: { methods: ['storeData'] } });
    expect(await runOperatorSync(config, { ...op, action: 'resync', selection: { pathPrefix: 'Secil/Portugal/Operator/O/a' } }))
      .toMatchObject({ metrics: 1, written: 0, deadLettered: 1, failed: 0 });
    expect(await runOperatorSync(config, { ...op, action: 'resync', selection: { pathPrefix: 'Secil/Portugal/Elsewhere' } }))
      .toMatchObject({ metrics: 1, written: 0, deadLettered: 1, failed: 0 });
    fx.sim.state.clearFaults();

    // a replay of the device sends its dead letters only, not the other device's
    const sentSince = (seq: number) => fx.sim.state.requests({ method: 'storeData' }).filter((r) => r.seq > seq).map((r) => r.tagPaths);
    const before = fx.sim.state.requests({ method: 'storeData' }).at(-1)?.seq ?? 0;
    expect(await runOperatorSync(config, { ...op, action: 'replay' })).toMatchObject({ metrics: 1, written: 1, deadLettered: 0 });
    expect(sentSince(before)).toEqual([['Secil.Portugal.Operator.O.a']]);
    expect(await runOperatorSync(config, { ...op, action: 'replay' })).toBeUndefined(); // nothing left for the device
    expect(await runOperatorSync(config, { ...op, action: 'replay', selection: { pathPrefix: 'Secil/Portugal/Operator' } })).toBeUndefined();
    await noSessionLeft('replay');
    // and a replay of a path prefix, those under it
    const later = fx.sim.state.requests({ method: 'storeData' }).at(-1)?.seq ?? 0;
    expect(await runOperatorSync(config, { ...op, action: 'replay', selection: { pathPrefix: 'Secil/Portugal/Elsewhere' } })).toMatchObject({ metrics: 1, written: 1 });
    expect(sentSince(later)).toEqual([['Secil.Portugal.Elsewhere.E.z']]);
  });

  it('refuses a database that is not deployed, with no connection left open', async () => {
    const url = new URL(fx.db.url('uns_meta_app'));
    url.pathname = '/postgres';
    const error = await runOperatorSync(testConfig(fx.sim, fx.db), {
      action: 'resync', selection: {}, dryRun: false, logger: pino({ level: 'silent' }), database: configFor(url.toString()),
    }).then(() => undefined, (err: unknown) => err);
    expect((error as Error).constructor.name).toBe('DatabaseMisconfigured');
    await noSessionLeft('resync', 'postgres');
  });
});
