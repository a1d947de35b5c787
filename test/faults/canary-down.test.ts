// Fault: Canary down (the simulator's HTTP server closed: connections refused) for longer than the worker's circuit
// breaker holds open, while births keep arriving through Mosquitto and the ingestor; then Canary starts again on the
// same port. A Canary restart keeps its historian's data (stored on disk) and ends its sessions (the Write API's
// sessions live in the service's memory): the simulator is restarted with its state (startCanarySim's `state`), and
// the worker's old session token is refused and replaced. At the end every birth is applied, the breaker opened, a
// probe after the hold failed (the outage outlasted the hold) and it closed again, Canary holds what PostgreSQL
// holds for every device, and no job is left (none lost, none failed for good) and nothing dead-lettered.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CanarySim, startCanarySim } from '../../src/canary-sim/index.ts';
import type { RunningWorker } from '../../src/worker/index.ts';
import { type TestDatabase, createTestDatabase } from '../support/database.ts';
import { appliedOrder, numberedBirth } from '../ingest/support/births.ts';
import { type RunningIngestor, publisher, startTestIngestor, subscribed, waitFor } from '../ingest/support/ingestor.ts';
import { type Broker, startBroker } from '../ingest/support/mosquitto.ts';
import { allInSync, canaryProps, circuitRecorder, parity, setDebounce, startTestWorker, storeRequests } from '../worker/helpers.ts';

const DEVICES = 12;
const HOLD_MS = 1000; // CANARY_BREAKER_HALF_OPEN_AFTER_MS
const OPEN = 2;
const CLOSED = 0;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const topic = (d: number) => `spBv1.0/Secil/DBIRTH/Down/D${d}`;

let db: TestDatabase;
let broker: Broker;
let sim: CanarySim;
let ingestor: RunningIngestor | undefined;
let worker: RunningWorker | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  await setDebounce(db, '0 seconds');
  broker = await startBroker();
  sim = await startCanarySim({ port: 0 });
}, 60_000);

afterAll(async () => {
  await worker?.stop().catch(() => undefined);
  await ingestor?.stop().catch(() => undefined);
  await sim?.close();
  await broker?.stop();
  await db?.drop().catch(() => undefined);
}, 60_000);

const count = async (sql: string) => (await db.pool('uns_meta_admin').query<{ n: number }>(sql)).rows[0]?.n;

describe('Canary down for longer than the circuit breaker holds', () => {
  it(`${DEVICES} devices keep sending births; Canary restarts with its data: the breaker opens, re-opens after the hold, closes; Canary = PostgreSQL`, { timeout: 150_000 }, async () => {
    ingestor = await startTestIngestor({ MQTT_URL: broker.url, DATABASE_URL: db.url('uns_meta_app'), LOG_LEVEL: 'info' });
    await subscribed(ingestor);
    const circuit = circuitRecorder(sim);
    worker = await startTestWorker(sim, db, {
      CANARY_BREAKER_CONSECUTIVE_FAILURES: '5', CANARY_BREAKER_HALF_OPEN_AFTER_MS: String(HOLD_MS), CANARY_RETRY_ATTEMPTS: '3',
      WORKER_CONCURRENCY: '2',
    }, circuit.logger);
    const metrics = worker.deps.metrics;
    const pub = await publisher(broker.url);
    const last = new Map<number, number>(); // device → n of its last birth
    const round = async (k: number, devices = range(DEVICES)) => {
      for (const d of devices) {
        await pub.publishAsync(topic(d), numberedBirth(k));
        last.set(d, k);
      }
    };
    const { state, port } = sim;
    let k = 0;
    let downAt = 0;
    let upAt = 0;
    try {
      await round(k++);
      await waitFor('the first births in Canary', () => allInSync(db), 60_000);

      // Canary stops. Births keep coming until the breaker has opened, held, let a probe through that failed and
      // opened again: the outage outlasted the hold.
      await sim.close();
      downAt = performance.now() - state.t0;
      const opensWhileDown = () => circuit.changes.filter((c) => c.t > downAt && c.state === OPEN).length;
      const deadline = Date.now() + 60_000;
      while (opensWhileDown() < 2) {
        if (Date.now() > deadline) throw new Error(`the breaker opened ${opensWhileDown()} times while Canary was down, not twice, within 60 s`);
        await round(k++);
        await sleep(250);
      }
      await round(k++); // births that arrive while the circuit is open
      // Every device's last birth applied and its job tried and failed: each job waits out graphile-worker's retry
      // pause (none running, due or untried), so every change now depends on a retry.
      await waitFor('every job tried while Canary is down', async () => {
        for (const d of range(DEVICES)) if ((await appliedOrder(db.pool('uns_meta_admin'), `Secil/Down/D${d}`)).length < (last.get(d) ?? 0) + 1) return false;
        return await count(`select count(*)::int as n from uns_meta.canary_sync_schedule where status in ('running', 'due') or attempts = 0`) === 0;
      }, 60_000);

      // Canary starts again where the worker expects it, with its data and without its sessions.
      sim = await startCanarySim({ port, state });
      upAt = performance.now() - state.t0;
      // half the devices send once more; the others' last birth came while Canary was down: their failed jobs are
      // retried by graphile-worker alone
      await round(k++, range(DEVICES).filter((d) => d % 2 === 0));
    } finally {
      await pub.endAsync();
    }

    // Every birth applied, in order.
    await waitFor('every birth applied', async () => {
      for (const d of range(DEVICES)) if ((await appliedOrder(db.pool('uns_meta_admin'), `Secil/Down/D${d}`)).length < (last.get(d) ?? 0) + 1) return false;
      return true;
    }, 60_000);
    for (const d of range(DEVICES)) expect(await appliedOrder(db.pool('uns_meta_admin'), `Secil/Down/D${d}`)).toEqual(range((last.get(d) ?? 0) + 1));
    expect(ingestor.pipeline.spoolDepth()).toBe(0);

    // Canary = PostgreSQL: every metric confirmed at its current version, and the simulator holds each device's last n.
    await waitFor('Canary in sync', () => allInSync(db), 90_000).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}; parity: ${(await parity(db)).map((r) => r.status).sort().join(' ')}`);
    });
    const rows = await parity(db);
    expect(rows).toHaveLength(DEVICES);
    for (const r of rows) {
      const d = Number(/\/Down\/D(\d+)\//.exec(r.uns_path)?.[1]);
      expect(canaryProps(sim, r.canary_tag ?? ''), r.uns_path).toMatchObject({ n: last.get(d) });
    }

    // No job lost or failed for good: the queue ends empty (a job out of attempts would stay, status 'failed').
    await waitFor('the job queue empty', async () => (await count('select count(*)::int as n from graphile_worker._private_jobs')) === 0, 30_000)
      .catch(async (err: unknown) => {
        const { rows: jobs } = await db.pool('uns_meta_admin').query('select status, attempts, max_attempts from uns_meta.canary_sync_schedule');
        throw new Error(`${(err as Error).message}: ${JSON.stringify(jobs)}`);
      });
    // A birth that came while its device's sync was running and failing superseded that run (graphile-worker spent its
    // attempts); such runs must end rather than stay failed (src/worker/superseded.ts), which the empty queue above
    // shows. Whether a birth lands inside a failing run is a matter of timing (none on PostgreSQL 16 and 17 in the
    // matrix), so the count of superseded runs is not asserted here; test/worker/superseded.test.ts supersedes a run on
    // purpose.
    expect(await count('select count(*)::int as n from uns_meta.canary_dead_letters')).toBe(0);
    expect(await count('select count(*)::int as n from uns_meta.dead_letters')).toBe(0);
    expect((await metrics.deadLetters.get()).values[0]?.value ?? 0).toBe(0);

    // The breaker: open while Canary was down, open again after a failed half-open probe, closed once it was back.
    const changes = circuit.changes;
    const whileDown = changes.filter((c) => c.t > downAt && c.t < upAt).map((c) => c.state);
    expect(whileDown.slice(0, 3)).toEqual([OPEN, 1, OPEN]);
    expect(changes.at(-1)).toMatchObject({ state: CLOSED });
    expect(changes.at(-1)?.t).toBeGreaterThan(upAt);
    expect((await metrics.circuitOpens.get()).values[0]?.value).toBeGreaterThanOrEqual(2);
    expect((await metrics.circuitState.get()).values[0]?.value).toBe(CLOSED);
    // The restart ended the worker's session: its old token was refused once and a new session taken.
    expect(storeRequests(sim).some((r) => r.t > upAt && r.outcome === 'BadSessionToken')).toBe(true);
    expect((await metrics.sessionRefreshes.get()).values[0]?.value).toBe(2);
  });
});
