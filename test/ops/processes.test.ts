// The three long-running processes together as real processes (ingestor, worker, Canary simulator): one log format
// (JSON lines, ISO 8601 `time`, `name`, `pid`), none of graphile-worker's per-job or crontab lines, and each stops
// cleanly on SIGTERM within 10 s (docs/deployment.md, "Logs" and "Stopping").
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, type CliProcess } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { numberedBirth } from '../ingest/support/births.ts';
import { publisher } from '../ingest/support/ingestor.ts';
import { startBroker, type Broker } from '../ingest/support/mosquitto.ts';
import { startCanarySim } from '../../src/canary-sim/index.ts';
import { allInSync, birth, ingest, setDebounce, testEnv, waitFor } from '../worker/helpers.ts';

let db: TestDatabase;
let broker: Broker;
let spool: string;
const children: CliProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await setDebounce(db, '0 seconds');
  broker = await startBroker();
  spool = mkdtempSync(join(tmpdir(), 'uns-meta-processes-'));
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await broker.stop();
  await db.drop();
  rmSync(spool, { recursive: true, force: true });
});

function start(args: string[], env: Record<string, string>): CliProcess {
  const child = spawnCli(args, { LOG_LEVEL: 'info', ...env });
  children.push(child);
  return child;
}

async function until(child: CliProcess, want: RegExp): Promise<RegExpExecArray> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const match = want.exec(child.output());
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${want} in the output of ${child.spawnargs.slice(2).join(' ')}:\n${child.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGTERM, then the exit code, or 'timeout' when the process has not exited within 10 s. */
async function terminate(child: CliProcess): Promise<number | null | 'timeout'> {
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 10_000)));
  try {
    return await Promise.race([child.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('ingestor, worker and simulator as processes', () => {
  it('log one format, without graphile-worker noise, and stop on SIGTERM within 10 s', async () => {
    const sim = start(['canary-sim', '--port', '0'], { CANARY_SIM_API_TOKEN: '' });
    const simUrl = (await until(sim, /"url":"(http:\/\/[^"]+)"/))[1] ?? '';
    const worker = start(['worker'], {
      DATABASE_URL: db.url(), CANARY_URL: simUrl, CANARY_API_TOKEN: 'test-token', CANARY_HISTORIANS: 'localhost',
      WORKER_POLL_INTERVAL_MS: '100', WORKER_DB_POOL_SIZE: '3',
    });
    const ingest = start(['ingest'], {
      DATABASE_URL: db.url(), MQTT_URL: broker.url, INGEST_SPOOL_DIR: spool, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1',
    });
    await until(ingest, /"event":"mqtt\.subscribed"/);
    await until(worker, /"msg":"worker started"/);
    const pub = await publisher(broker.url);
    await pub.publishAsync('spBv1.0/Secil/DBIRTH/E/D1', numberedBirth(1), { qos: 1 }); // Secil: a dataset of the simulator
    await pub.endAsync();
    await until(worker, /"msg":"device synced to Canary"/);
    await waitFor('Canary in sync', () => allInSync(db), 30_000);

    const exits = { ingest: await terminate(ingest), worker: await terminate(worker), sim: await terminate(sim) };
    expect(exits).toEqual({ ingest: 0, worker: 0, sim: 0 });

    for (const [name, child] of [['uns-meta-ingest', ingest], ['uns-meta-worker', worker], ['uns-meta-canary-sim', sim]] as const) {
      const lines = child.output().trimEnd().split('\n');
      expect(lines.length).toBeGreaterThan(1);
      for (const line of lines) {
        const record = JSON.parse(line) as Record<string, unknown>;
        expect(record).toMatchObject({ name, pid: child.pid });
        expect([typeof record.level, typeof record.msg]).toEqual(['number', 'string']);
        expect(record.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      expect(child.output()).not.toMatch(/crontab|Completed task/i);
    }
  }, 90_000);

  it('the worker, stopped by SIGTERM during a job, finishes or hands back the job, leaves none locked and exits 0 within 10 s', async () => {
    const sim = await startCanarySim({ port: 0, faults: { latency: { ms: 2000, methods: ['storeData'] } } });
    try {
      const worker = start(['worker'], testEnv(sim, db, { CANARY_REQUEST_TIMEOUT_MS: '10000' })); // longer than the latency
      await until(worker, /"msg":"worker started"/);
      await ingest(db, birth('Stop', { 'Area/S1': { engUnit: 'bar' } }));
      const locked = async () => (await db.pool('uns_meta_admin').query<{ n: number }>(
        'select count(*)::int as n from graphile_worker.jobs where locked_at is not null')).rows[0]!.n;
      await waitFor('the job running', async () => (await locked()) > 0, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 500)); // its storeData is now in flight (2 s latency)
      expect(await terminate(worker)).toBe(0);
      expect(await locked()).toBe(0);
      // Finished (its batch confirmed) or handed back (waiting, unlocked, for the next worker).
      const waiting = (await db.pool('uns_meta_admin').query<{ n: number }>(
        'select count(*)::int as n from graphile_worker.jobs where locked_at is null and attempts < max_attempts')).rows[0]!.n;
      expect((await allInSync(db)) || waiting > 0).toBe(true);
    } finally {
      await sim.close();
    }
  }, 60_000);

  it('the ingestor, stopped by SIGTERM while a birth waits on a lock, hands the birth to its spool and exits 0 within 10 s', async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'uns-meta-stop-spool-'));
    const locker = await db.pool('uns_meta_admin').connect();
    try {
      const ingest = start(['ingest'], { DATABASE_URL: db.url(), MQTT_URL: broker.url, INGEST_SPOOL_DIR: spoolDir, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' });
      await until(ingest, /"event":"mqtt\.subscribed"/);
      await locker.query('begin');
      await locker.query('lock table uns_meta.devices in access exclusive mode'); // a DBA's long lock
      const pub = await publisher(broker.url);
      await pub.publishAsync('spBv1.0/Secil/DBIRTH/E/Locked', numberedBirth(7), { qos: 1 });
      await pub.endAsync();
      await waitFor('the birth waiting on the lock', async () => (await db.pool('uns_meta_admin').query<{ n: number }>(
        'select count(*)::int as n from pg_locks where not granted and database = (select oid from pg_database where datname = current_database())')).rows[0]!.n > 0, 20_000);
      expect(await terminate(ingest)).toBe(0);
      expect(ingest.output()).toMatch(/"event":"ingest\.stop_cancel"/);
      expect(readdirSync(spoolDir).filter((n) => n.endsWith('.msg'))).toHaveLength(1);
    } finally {
      await locker.query('rollback');
      locker.release();
      rmSync(spoolDir, { recursive: true, force: true });
    }
  }, 60_000);
});
