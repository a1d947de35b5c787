// Shared set-up for the worker's tests: a cloned database, the simulator as a real HTTP server, births built
// from plain objects, the worker in-process or as a child process, and a parity check against the simulator.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll } from 'vitest';
import pino from 'pino';
import { startCanarySim, type CanarySim } from '../../src/canary-sim/index.ts';
import { loadWorkerConfig, type WorkerConfig } from '../../src/runtime/config/worker.ts';
import { startWorker, type RunningWorker } from '../../src/worker/index.ts';
import { configFor, createTestDatabase, type TestDatabase } from '../support/database.ts';

export type Props = Record<string, string | number | boolean | null>;

/** A DBIRTH of device `device` whose metrics carry the given properties (strings → String, numbers → Double). */
export function birth(device: string, metrics: Record<string, Props>, receivedAt?: string, extra: Record<string, Record<string, unknown>> = {}): unknown {
  return {
    topic: `spBv1.0/Secil/DBIRTH/Portugal/${device}`,
    ...(receivedAt ? { received_at: receivedAt } : {}),
    payload: {
      metrics: Object.entries(metrics).map(([name, props]) => ({
        name,
        datatype: 10,
        ...extra[name],
        properties: {
          keys: Object.keys(props),
          values: Object.values(props).map((v) =>
            v === null ? { type: 12, isNull: true }
              : typeof v === 'number' ? { type: 10, doubleValue: v }
                : typeof v === 'boolean' ? { type: 11, booleanValue: v }
                  : { type: 12, stringValue: v }),
        },
      })),
    },
  };
}

export async function ingest(db: TestDatabase, b: unknown): Promise<void> {
  await db.pool('uns_meta_app').query('select uns_meta.ingest_birth($1::jsonb)', [JSON.stringify(b)]);
}

export async function setDebounce(db: TestDatabase, interval: string): Promise<void> {
  await db.pool('uns_meta_admin').query(
    `insert into uns_meta.settings (key, value, description) values ('debounce_interval', $1, 'test')
     on conflict (key) do update set value = excluded.value`, [JSON.stringify(interval)]);
}

/** Environment of a worker under test: small delays so retries and polls are quick. */
export function testEnv(sim: CanarySim, db: TestDatabase, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CANARY_URL: sim.url,
    CANARY_API_TOKEN: 'vitest-token',
    CANARY_HISTORIANS: 'localhost',
    CANARY_CLIENT_ID: 'vitest-worker',
    CANARY_RETRY_INITIAL_DELAY_MS: '10',
    CANARY_RETRY_MAX_DELAY_MS: '40',
    CANARY_REQUEST_TIMEOUT_MS: '1000',
    CANARY_BREAKER_HALF_OPEN_AFTER_MS: '500',
    CANARY_BREAKER_MINIMUM_RPS: '1000',
    WORKER_POLL_INTERVAL_MS: '100',
    // the server's 100 connections are shared with other test runs: keep each worker small
    WORKER_DB_POOL_SIZE: '3',
    WORKER_CONCURRENCY: '1',
    WORKER_STALE_LOCK_SECONDS: '1',
    WORKER_STALE_CHECK_MS: '200',
    DATABASE_URL: db.url('uns_meta_app'),
    ...extra,
  };
}

export function testConfig(sim: CanarySim, db: TestDatabase, extra: Record<string, string> = {}): WorkerConfig {
  return loadWorkerConfig(testEnv(sim, db, extra));
}

export async function startTestWorker(sim: CanarySim, db: TestDatabase, extra: Record<string, string> = {},
  logger: pino.Logger = pino({ level: 'silent' })): Promise<RunningWorker> {
  return startWorker(testConfig(sim, db, extra), { logger, database: configFor(db.url('uns_meta_app')) });
}

/** A circuit breaker state change the worker logged: `t` on the simulator's clock (CanarySim request log `t`). */
export interface CircuitChange { t: number; state: number }

/**
 * A logger for startTestWorker that records every circuit breaker state change (0 closed, 1 half-open, 2 open) with
 * the time it happened on the simulator's clock, so a test can check request arrivals against the circuit's state.
 */
export function circuitRecorder(sim: CanarySim): { logger: pino.Logger; changes: CircuitChange[] } {
  const changes: CircuitChange[] = [];
  const logger = pino({ level: 'warn' }, {
    write(line: string) {
      const t = performance.now() - sim.state.t0; // pino writes synchronously, inside the breaker's state-change hook
      const record = JSON.parse(line) as { circuit?: number };
      if (typeof record.circuit === 'number') changes.push({ t, state: record.circuit });
    },
  });
  return { logger, changes };
}

/** The device_id of a device the helpers' births name (`birth(device, …)`). */
export async function deviceIdOf(db: TestDatabase, device: string): Promise<string> {
  const { rows } = await db.pool('uns_meta_ro').query<{ id: string }>(
    'select device_id::text as id from uns_meta.devices where uns_path = $1', [`Secil/Portugal/${device}`]);
  if (rows[0] === undefined) throw new Error(`no device Secil/Portugal/${device}`);
  return rows[0].id;
}

/** A pino logger at debug that keeps every record: `msgs(text)` are the records with that message. */
export function recordingLogger(): { logger: pino.Logger; records: () => Record<string, unknown>[]; msgs: (msg: string) => Record<string, unknown>[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, records, msgs: (msg) => records().filter((r) => r.msg === msg) };
}

/** `uns-meta <args>` as a child process (with testEnv(...) for the test's database and simulator). */
export { spawnCli } from '../support/cli.ts';

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export interface ParityRow { metric_id: string; uns_path: string; canary_tag: string | null; status: string; version: number; confirmed_version: number | null }

export async function parity(db: TestDatabase): Promise<ParityRow[]> {
  const { rows } = await db.pool('uns_meta_ro').query<ParityRow>(
    'select metric_id::text, uns_path, canary_tag, status, version, confirmed_version from uns_meta.canary_parity order by metric_id');
  return rows;
}

export async function allInSync(db: TestDatabase): Promise<boolean> {
  const rows = await parity(db);
  return rows.length > 0 && rows.every((r) => r.status === 'in_sync');
}

/** storeData requests the simulator answered, oldest first. */
export function storeRequests(sim: CanarySim) {
  return sim.state.requests({ method: 'storeData' });
}

/** The Canary property values the simulator holds for a tag ({} when never written). */
export function canaryProps(sim: CanarySim, tag: string): Record<string, unknown> {
  const props = sim.state.properties(tag) ?? {};
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, v.value]));
}

export const TAG = (metric: string, device = 'Cement') => `Secil.Portugal.${device}.${metric.replaceAll('/', '.')}`;

/**
 * Starts the fixture's worker if none runs and waits until every metric of the device is in sync and no job is left:
 * the sync of the device's last birth is complete.
 */
export async function syncDevice(fx: WorkerFixture, device: string): Promise<void> {
  fx.worker ??= await startTestWorker(fx.sim, fx.db);
  await waitFor(`device ${device} in sync`, async () => {
    const rows = (await parity(fx.db)).filter((r) => r.uns_path.startsWith(`Secil/Portugal/${device}/`));
    return rows.length > 0 && rows.every((r) => r.status === 'in_sync');
  });
  // the job is done once parity says so; give the runner a moment to complete it
  await waitFor('no job left', async () => (await fx.db.pool('uns_meta_admin').query('select 1 from graphile_worker.jobs')).rowCount === 0);
}

export interface WorkerFixture {
  db: TestDatabase;
  sim: CanarySim;
  /** The in-process worker of the current test, stopped after each test. */
  worker: RunningWorker | undefined;
}

/** One database clone and one simulator per test file (debounce 0 s); the worker is stopped and faults cleared after each test. */
export function useWorkerFixture(): WorkerFixture {
  const fx = { worker: undefined } as WorkerFixture;
  beforeAll(async () => {
    fx.db = await createTestDatabase();
    fx.sim = await startCanarySim({ port: 0 });
    await setDebounce(fx.db, '0 seconds');
  });
  afterAll(async () => {
    await fx.worker?.stop();
    await fx.sim.close();
    await fx.db.drop();
  });
  afterEach(async () => {
    await fx.worker?.stop();
    fx.worker = undefined;
    fx.sim.state.clearFaults();
  });
  return fx;
}
