// Fault: two `uns-meta worker` processes drain the sync jobs of a stream of births (Mosquitto → ingestor →
// PostgreSQL); one is SIGKILLed while one of its batches is in flight (the simulator answers storeData after 200 ms, so
// a request is on the wire most of the time), the other keeps running. The survivor takes the dead worker's locked
// jobs back with the product's own check (src/worker/liveness.ts: a pool id without its liveness session, after
// WORKER_STALE_LOCK_SECONDS), long before graphile-worker's 4-hour lock timeout, and finishes everything. At the end
// every birth is applied, Canary holds what PostgreSQL holds, the queue is empty, nothing is dead-lettered, and no
// metric change reached Canary twice with different values (a batch the dead worker had sent is re-sent unchanged).
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CanarySim, startCanarySim } from '../../src/canary-sim/index.ts';
import { type TestDatabase, createTestDatabase } from '../support/database.ts';
import type { CliProcess } from '../support/cli.ts';
import { appliedOrder, numberedBirth } from '../ingest/support/births.ts';
import { type RunningIngestor, publisher, startTestIngestor, subscribed, waitFor } from '../ingest/support/ingestor.ts';
import { type Broker, startBroker } from '../ingest/support/mosquitto.ts';
import { allInSync, canaryProps, parity, setDebounce, spawnCli, testEnv } from '../worker/helpers.ts';

const DEVICES = 6;
const METRICS = 20; // with 5 tags a batch: 4 storeData requests per device sync
const ROUNDS = 5;
const KILL_AFTER_ROUND = 1;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

let db: TestDatabase;
let broker: Broker;
let sim: CanarySim;
let ingestor: RunningIngestor | undefined;
const children: CliProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await setDebounce(db, '0 seconds');
  broker = await startBroker();
  sim = await startCanarySim({ port: 0, faults: { latency: { ms: 200, methods: ['storeData'] } } });
}, 60_000);

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await child.exited;
    }
  }
  await ingestor?.stop().catch(() => undefined);
  await sim?.close();
  await broker?.stop();
  await db?.drop().catch(() => undefined);
}, 60_000);

const admin = () => db.pool('uns_meta_admin');

async function startWorkerProcess(clientId: string): Promise<{ child: CliProcess; pool: string }> {
  const child = spawnCli(['worker'], testEnv(sim, db, {
    CANARY_CLIENT_ID: clientId, CANARY_BATCH_MAX_TAGS: '5', CANARY_MAX_IN_FLIGHT: '2', WORKER_CONCURRENCY: '2', LOG_LEVEL: 'info',
  }));
  children.push(child);
  const started = await waitFor(`${clientId} started`, () => /"workerPool":"([^"]+)"[^\n]*"msg":"worker started"/.exec(child.output())?.[1], 60_000);
  return { child, pool: started };
}

/** Tag path prefixes (Canary) of the devices whose sync job `pool` has locked. */
async function lockedDevicePrefixes(pool: string): Promise<string[]> {
  const { rows } = await admin().query<{ uns_path: string }>(
    `select d.uns_path from graphile_worker._private_jobs j join uns_meta.devices d on d.device_id = (j.payload ->> 'device_id')::bigint
      where j.locked_by = $1`, [pool]);
  return rows.map((r) => `${r.uns_path.replaceAll('/', '.')}.`);
}

describe('two workers, one SIGKILLed mid-batch', () => {
  it(`${DEVICES} devices × ${ROUNDS} births of ${METRICS} metrics: the survivor takes the dead worker's jobs back and finishes; Canary = PostgreSQL`, { timeout: 150_000 }, async () => {
    ingestor = await startTestIngestor({ MQTT_URL: broker.url, DATABASE_URL: db.url('uns_meta_app'), LOG_LEVEL: 'info' });
    await subscribed(ingestor);
    const [victim, survivor] = await Promise.all([startWorkerProcess('w1'), startWorkerProcess('w2')]);
    expect(victim.pool).not.toBe(survivor.pool);
    const pub = await publisher(broker.url);
    let lockedAtKill = 0;
    try {
      for (const k of range(ROUNDS)) {
        for (const d of range(DEVICES)) await pub.publishAsync(`spBv1.0/Secil/DBIRTH/Kill/D${d}`, numberedBirth(k, METRICS));
        if (k === KILL_AFTER_ROUND) {
          // The kill: a device whose job w1 holds has a storeData request on the wire (it waits out the simulator's
          // latency); checked and killed in one turn of the event loop, the simulator being in this process.
          await waitFor('w1 mid-batch', async () => {
            const prefixes = await lockedDevicePrefixes(victim.pool);
            const inFlight = sim.state.requests({ method: 'storeData' })
              .some((r) => r.outcome === 'pending' && r.tagPaths.some((t) => prefixes.some((p) => t.startsWith(p))));
            if (inFlight) {
              victim.child.kill('SIGKILL');
              lockedAtKill = prefixes.length; // read just before: the survivor may unlock them any moment now
            }
            return inFlight;
          }, 60_000);
          await victim.child.exited;
        }
        await sleep(300);
      }
    } finally {
      await pub.endAsync();
    }
    expect(victim.child.signalCode).toBe('SIGKILL');
    expect(lockedAtKill).toBeGreaterThan(0);

    // The dead worker's jobs are unlocked by the survivor and run again.
    await waitFor("no job locked by the killed worker", async () =>
      (await admin().query('select 1 from graphile_worker._private_jobs where locked_by = $1', [victim.pool])).rowCount === 0, 30_000);
    expect(survivor.child.output()).toMatch(new RegExp(`"workers":\\["${victim.pool}"\\][^\\n]*unlocked the jobs of worker processes that died`));

    // Every birth applied, in order.
    await waitFor('every birth applied', async () => {
      for (const d of range(DEVICES)) if ((await appliedOrder(admin(), `Secil/Kill/D${d}`)).length < ROUNDS) return false;
      return true;
    }, 60_000);
    for (const d of range(DEVICES)) expect(await appliedOrder(admin(), `Secil/Kill/D${d}`)).toEqual(range(ROUNDS));

    // Canary = PostgreSQL, the queue empty (no job lost, locked or failed for good), nothing dead-lettered.
    await waitFor('Canary in sync', () => allInSync(db), 90_000).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}; parity: ${(await parity(db)).map((r) => r.status).sort().join(' ')}`);
    });
    const rows = await parity(db);
    expect(rows).toHaveLength(DEVICES * METRICS);
    for (const r of rows) expect(canaryProps(sim, r.canary_tag ?? ''), r.uns_path).toMatchObject({ n: ROUNDS - 1 });
    await waitFor('the job queue empty', async () => (await admin().query('select 1 from graphile_worker._private_jobs')).rowCount === 0, 30_000)
      .catch(async (err: unknown) => {
        const { rows: jobs } = await admin().query('select status, attempts, max_attempts, running_since from uns_meta.canary_sync_schedule');
        throw new Error(`${(err as Error).message}: ${JSON.stringify(jobs)}`);
      });
    expect((await admin().query('select 1 from uns_meta.canary_dead_letters')).rowCount).toBe(0);
    expect((await admin().query('select 1 from uns_meta.dead_letters')).rowCount).toBe(0);

    // No metric change synced twice to a different value: Canary's history of each tag holds, per change (the
    // row's timestamp is the change's time), one value of n, whoever sent it and however often.
    for (const r of rows) {
      const byChange = new Map<string, Set<unknown>>();
      for (const p of sim.state.tag(r.canary_tag ?? '')?.propertyHistory ?? []) {
        if (p.name === 'n') byChange.set(p.timestamp, (byChange.get(p.timestamp) ?? new Set()).add(p.value));
      }
      for (const [timestamp, values] of byChange) expect([...values], `${r.canary_tag} at ${timestamp}`).toHaveLength(1);
    }
  });
});
