// Fault: PostgreSQL restarted (fast, then immediate shutdown) during a stream of births of many devices, on a
// private cluster (test/support/private-cluster.ts) since the machine's shared one must never be restarted. The
// births go through a real Mosquitto and the ingestor; the worker syncs them to the Canary simulator. At the end
// every birth is accounted for — applied, in order, per device; nothing left in the spool, no dead letter — and
// the simulator holds what PostgreSQL holds, with no job left locked (a job release graphile-worker lost in a restart
// is unlocked by the worker's orphan check; test/worker/lost-release.test.ts makes one on purpose) and the worker's
// liveness session back.
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CanarySim, startCanarySim } from '../../src/canary-sim/index.ts';
import type { RunningWorker } from '../../src/worker/index.ts';
import { type TestDatabase, createTestDatabase } from '../support/database.ts';
import { type PrivateCluster, startPrivateCluster } from '../support/private-cluster.ts';
import { appliedOrder, numberedBirth } from '../ingest/support/births.ts';
import { type RunningIngestor, publisher, startTestIngestor, subscribed, waitFor } from '../ingest/support/ingestor.ts';
import { type Broker, startBroker } from '../ingest/support/mosquitto.ts';
import { allInSync, canaryProps, parity, setDebounce, startTestWorker } from '../worker/helpers.ts';

const DEVICES = 24;
const ROUNDS = 8;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

let cluster: PrivateCluster;
let db: TestDatabase;
let broker: Broker;
let sim: CanarySim;
let ingestor: RunningIngestor | undefined;
let worker: RunningWorker | undefined;
const workerLines: string[] = [];

beforeAll(async () => {
  cluster = await startPrivateCluster();
  await cluster.loadTemplate();
  db = await createTestDatabase({ host: '127.0.0.1', port: String(cluster.port) });
  await setDebounce(db, '0 seconds');
  broker = await startBroker();
  sim = await startCanarySim({ port: 0 });
}, 180_000);

afterAll(async () => {
  await worker?.stop().catch(() => undefined);
  await ingestor?.stop().catch(() => undefined);
  await sim?.close();
  await broker?.stop();
  await db?.drop().catch(() => undefined);
  await cluster?.destroy();
}, 60_000);

describe('PostgreSQL restarted under a stream of births', () => {
  it(`fast and immediate restarts while ${DEVICES} devices send ${ROUNDS} births each: all applied in order, Canary = PostgreSQL`, { timeout: 180_000 }, async () => {
    ingestor = await startTestIngestor({ MQTT_URL: broker.url, DATABASE_URL: db.url('uns_meta_app'), LOG_LEVEL: 'info' });
    await subscribed(ingestor);
    worker = await startTestWorker(sim, db, {}, pino({ level: 'warn' }, { write: (l: string) => void workerLines.push(l) }));
    const pub = await publisher(broker.url);
    try {
      const restarts: Promise<void>[] = [];
      for (const k of range(ROUNDS)) {
        // Each restart starts while births are arriving and runs while the next rounds are published.
        if (k === 2) restarts.push(cluster.restart('fast'));
        if (k === 5) restarts.push(Promise.all(restarts).then(() => cluster.restart('immediate')));
        for (const d of range(DEVICES)) await pub.publishAsync(`spBv1.0/Secil/DBIRTH/Restart/D${d}`, numberedBirth(k));
        await sleep(150);
      }
      await Promise.all(restarts);
    } finally {
      await pub.endAsync();
    }

    const log = cluster.log();
    expect(log).toContain('received fast shutdown request');
    expect(log).toContain('received immediate shutdown request');
    expect(ingestor.records().some((r) => r.event === 'db.unavailable')).toBe(true);

    // Every birth accounted for: applied, in arrival order, once per device and round.
    await waitFor('every birth applied', async () => {
      for (const d of range(DEVICES)) if ((await appliedOrder(db.pool('uns_meta_admin'), `Secil/Restart/D${d}`)).length < ROUNDS) return false;
      return true;
    }, 120_000);
    await ingestor.pipeline.drained();
    for (const d of range(DEVICES)) expect(await appliedOrder(db.pool('uns_meta_admin'), `Secil/Restart/D${d}`)).toEqual(range(ROUNDS));
    expect(ingestor.pipeline.spoolDepth()).toBe(0);
    const { rows: letters } = await db.pool('uns_meta_admin').query<{ n: number }>('select count(*)::int as n from uns_meta.dead_letters');
    expect(letters[0]?.n).toBe(0);
    const metrics = await (await fetch(`http://127.0.0.1:${ingestor.metricsPort}/metrics`)).text();
    expect(metrics).toContain(`uns_meta_ingest_births_received_total{type="DBIRTH"} ${DEVICES * ROUNDS}`);

    // Canary = PostgreSQL: every metric confirmed at its current version, and the simulator holds the last birth's n.
    await waitFor('Canary in sync', () => allInSync(db), 120_000).catch(async (err: unknown) => {
      const statuses = (await parity(db)).map((r) => r.status).sort().join(' ');
      throw new Error(`${(err as Error).message}; parity: ${statuses}; worker's last errors: ${workerLines.filter((l) => l.includes('"level":50')).slice(-3).join(' ')}`);
    });
    const rows = await parity(db);
    expect(rows).toHaveLength(DEVICES);
    for (const r of rows) expect(canaryProps(sim, r.canary_tag ?? '')).toMatchObject({ n: ROUNDS - 1 });

    const app = db.pool('uns_meta_app');
    await waitFor('no job left locked', async () =>
      (await app.query<{ n: number }>('select count(*)::int as n from graphile_worker._private_jobs where locked_by is not null')).rows[0]?.n === 0, 60_000);
    await waitFor("the worker's liveness session back", async () =>
      (await app.query("select 1 from pg_stat_activity where datname = current_database() and application_name like 'uns-meta-worker pool-%'")).rowCount === 1, 30_000);
  });
});
