// `uns-meta worker` as real processes: killed with SIGKILL mid-batch and restarted, two workers sharing the plant's
// request cap (the simulator enforces it and counts every request), `canary resync`, and no secret in any log line.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCanarySim, type CanarySim } from '../../src/canary-sim/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { allInSync, birth, canaryProps, ingest, parity, setDebounce, spawnCli, storeRequests, TAG, testEnv, waitFor, type Props } from './helpers.ts';

let db: TestDatabase;
let sim: CanarySim;
const children: ReturnType<typeof spawnCli>[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await setDebounce(db, '0 seconds');
});
afterAll(async () => {
  await db.drop();
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await child.exited;
    }
  }
  await sim.close();
});

function metricsOf(device: string, n: number, rev: string): Record<string, Props> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`Area/m${i}`, { engUnit: 'bar', documentation: `${device} m${i} ${rev}` }]));
}

function everyTagMatches(devices: string[], n: number, rev: string): void {
  for (const device of devices) {
    for (let i = 0; i < n; i++) expect(canaryProps(sim, TAG(`Area/m${i}`, device)).Description).toBe(`${device} m${i} ${rev}`);
  }
}

function worker(env: Record<string, string>): ReturnType<typeof spawnCli> {
  const child = spawnCli(['worker'], env);
  children.push(child);
  return child;
}

describe('uns-meta worker processes', () => {
  it('SIGKILL mid-batch, then a restart: every change is delivered and Canary ends equal to Postgres', async () => {
    sim = await startCanarySim({ port: 0, faults: { latency: { ms: 100, methods: ['storeData'] } } });
    await ingest(db, birth('Kill', metricsOf('Kill', 200, 'v1')));
    const env = testEnv(sim, db, { CANARY_BATCH_MAX_TAGS: '10', CANARY_MAX_IN_FLIGHT: '2' });
    const first = worker(env);
    // once 3 batches are delivered, every later storeData hangs (set in the same turn of the event loop as the
    // check, the simulator being in this process): the worker is certainly mid-batch when it is killed, however
    // long the machine stalls before the kill
    await waitFor('a few batches delivered', () => {
      const delivered = storeRequests(sim).filter((r) => r.outcome === 'Good').length >= 3;
      if (delivered) sim.state.setFaults({ hang: { methods: ['storeData'] } });
      return Promise.resolve(delivered);
    }, 60_000);
    first.kill('SIGKILL');
    await first.exited;
    const done = (await parity(db)).filter((r) => r.status === 'in_sync').length;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(200);
    sim.state.clearFaults();
    worker(env);
    await waitFor('all in sync after the restart', () => allInSync(db), 60_000);
    everyTagMatches(['Kill'], 200, 'v1');
  }, 120_000);

  it('two workers together keep to the plant cap: never more than CANARY_RATE_LIMIT_RPS requests in any one-second window', async () => {
    const cap = 100;
    sim = await startCanarySim({ port: 0, rateLimitRps: cap, enforceRateLimit: true });
    const devices = ['R1', 'R2', 'R3', 'R4', 'R5', 'R6'];
    for (const d of devices) await ingest(db, birth(d, metricsOf(d, 400, 'v1')));
    // Both workers schedule against the shared cap at half of it (CANARY_RATE_SAFETY 0.5): together 50 requests/s,
    // each alone (were they not sharing) 50/s, 100/s for the two. The headroom absorbs a stall of up to about a second
    // of the simulator's event loop (requests held back arrive together); the average rate over the run, which a
    // stall cannot raise, tells sharing workers from independent ones.
    const env = (id: string) => testEnv(sim, db, { CANARY_RATE_LIMIT_RPS: String(cap), CANARY_RATE_SAFETY: '0.5', CANARY_BATCH_MAX_TAGS: '10', CANARY_CLIENT_ID: id, WORKER_CONCURRENCY: '3' });
    worker(env('w1'));
    worker(env('w2'));
    await waitFor('all in sync', () => allInSync(db), 90_000);
    const stats = sim.state.stats();
    expect(stats.rate.maxReceivedInAnyWindow).toBeLessThanOrEqual(cap);
    expect(stats.rate.rejected).toBe(0);
    const stores = storeRequests(sim);
    expect(stores.length).toBeGreaterThanOrEqual(240);
    const spanSeconds = ((stores.at(-1)?.t ?? 0) - (stores[0]?.t ?? 0)) / 1000;
    expect(stores.length / spanSeconds).toBeLessThanOrEqual(0.6 * cap);
    const writers = new Set(sim.state.sessionList().map((s) => s.clientId));
    expect(writers).toEqual(new Set(['w1', 'w2']));
    everyTagMatches(devices, 400, 'v1');
  }, 120_000);

  it('canary resync --dry-run prints and sends nothing; resync of a prefix re-sends its full metadata', async () => {
    sim = await startCanarySim({ port: 0 });
    await ingest(db, birth('Re1', metricsOf('Re1', 400, 'v1')));
    await ingest(db, birth('Re2', metricsOf('Re2', 3, 'v1')));
    const env = testEnv(sim, db);
    const dry = spawnCli(['canary', 'resync', '--prefix', 'Secil/Portugal/Re1', '--dry-run'], env);
    expect(await dry.exited).toBe(0);
    expect(storeRequests(sim)).toHaveLength(0);
    const printed = dry.output().split('\n').filter((l) => l.startsWith('{"method":"storeData"'));
    expect(printed).toHaveLength(4);
    const firstRequest = JSON.parse(printed[0] ?? '{}') as { properties: Record<string, [string, string, unknown, number][]> };
    // the order of a tag's property rows carries no meaning: compare them by name
    const rows = [...(firstRequest.properties[TAG('Area/m0', 'Re1')] ?? [])].sort((a, b) => a[0].localeCompare(b[0]));
    expect(rows).toEqual([
      ['Description', expect.any(String), 'Re1 m0 v1', 192], ['Eng Units', expect.any(String), 'bar', 192],
    ]);
    const real = spawnCli(['canary', 'resync', '--prefix', 'Secil/Portugal/Re1'], env);
    expect(await real.exited).toBe(0);
    expect(storeRequests(sim)).toHaveLength(4);
    everyTagMatches(['Re1'], 400, 'v1');
    expect(sim.state.tags('Secil.Portugal.Re2')).toEqual([]);
  });

  it('no token in any log line, even at debug level', async () => {
    const apiToken = 'tok-3f9a1c-secret';
    sim = await startCanarySim({ port: 0, apiToken });
    const child = worker(testEnv(sim, db, { CANARY_API_TOKEN: apiToken, LOG_LEVEL: 'debug' }));
    await ingest(db, birth('Tok', metricsOf('Tok', 3, 'v1')));
    await waitFor('in sync', () => allInSync(db));
    sim.state.expireAllSessions();
    await ingest(db, birth('Tok', metricsOf('Tok', 3, 'v2')));
    await waitFor('in sync', () => allInSync(db));
    child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    const out = child.output();
    expect(out).toContain('device synced to Canary');
    expect(out).toContain('Canary session revoked');
    expect(out).not.toContain(apiToken);
    expect(out).not.toMatch(/sessionToken"\s*:\s*"/);
    expect(sim.state.stats().sessions.revoked).toBe(1);
  });
});
