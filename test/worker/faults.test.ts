// The worker against a failing Canary: transient faults are retried and delivered, the circuit opens and recovers,
// an expired session is replaced, a per-tag error does not block the other tags, and dead letters are replayed.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCanarySim, type CanarySim } from '../../src/canary-sim/index.ts';
import type { RunningWorker } from '../../src/worker/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import {
  allInSync, birth, canaryProps, exitOf, ingest, parity, setDebounce, spawnCli, startTestWorker, storeRequests, TAG, testEnv, waitFor,
} from './helpers.ts';

let db: TestDatabase;
let sim: CanarySim;
let worker: RunningWorker | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startCanarySim({ port: 0 });
  await setDebounce(db, '0 seconds');
});
afterAll(async () => {
  await worker?.stop();
  await sim.close();
  await db.drop();
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  sim.state.clearFaults();
});

const gauge = async (w: RunningWorker, name: 'circuitState' | 'sessionRefreshes' | 'retries' | 'deadLetters') =>
  (await w.deps.metrics[name].get()).values[0]?.value ?? 0;

let version = 0;
/** A new birth of device `device` that changes every metric's Description. */
async function change(device: string, names: string[]): Promise<string> {
  const text = `rev ${++version}`;
  await ingest(db, birth(device, Object.fromEntries(names.map((n) => [n, { engUnit: 'bar', documentation: `${n} ${text}` }]))));
  return text;
}

describe('worker under faults', () => {
  it('HTTP 5xx, a timeout and a connection reset are retried and the change is delivered', async () => {
    sim.state.setFaults({
      serverError: { count: 2, methods: ['storeData'] },
      reset: { count: 1, methods: ['storeData'] },
      latency: { ms: 1500, count: 1, methods: ['storeData'] },
    });
    worker = await startTestWorker(sim, db);
    const text = await change('Faults', ['a', 'b']);
    await waitFor('in sync', () => allInSync(db));
    expect(canaryProps(sim, TAG('a', 'Faults')).Description).toBe(`a ${text}`);
    const outcomes = storeRequests(sim).map((r) => r.outcome);
    expect(outcomes).toContain('HTTP 503');
    expect(outcomes).toContain('reset');
    expect(outcomes.at(-1)).toBe('Good');
    expect(await gauge(worker, 'retries')).toBeGreaterThanOrEqual(3);
    expect(await gauge(worker, 'deadLetters')).toBe(0);
  });

  it('the circuit opens after consecutive failures (changes wait in Postgres), then a half-open probe closes it', async () => {
    worker = await startTestWorker(sim, db, { CANARY_BREAKER_CONSECUTIVE_FAILURES: '3', CANARY_RETRY_ATTEMPTS: '6', CANARY_BREAKER_HALF_OPEN_AFTER_MS: '1000' });
    sim.state.setFaults({ serverError: { methods: ['storeData'] } });
    const text = await change('Faults', ['a', 'b']);
    const w = worker;
    await waitFor('circuit open', async () => (await gauge(w, 'circuitState')) === 2);
    await sleep(200); // the simulator finishes logging the last refused request
    const failedSoFar = storeRequests(sim).filter((r) => r.outcome === 'HTTP 503').length;
    await waitFor('job failed and kept', async () =>
      (await db.pool('uns_meta_admin').query(`select 1 from graphile_worker.jobs where last_error is not null`)).rowCount === 1);
    expect((await parity(db)).filter((r) => r.status === 'pending')).toHaveLength(2);
    // while open (1 s), nothing more reaches Canary
    await sleep(400);
    expect(await gauge(w, 'circuitState')).toBe(2);
    expect(storeRequests(sim).filter((r) => r.outcome === 'HTTP 503').length).toBe(failedSoFar);
    sim.state.clearFaults();
    await waitFor('in sync after recovery', () => allInSync(db), 15_000);
    expect(canaryProps(sim, TAG('b', 'Faults')).Description).toBe(`b ${text}`);
    expect(await gauge(w, 'circuitState')).toBe(0);
  });

  it('BadSessionToken mid-run: a new session is acquired and the batch resent once', async () => {
    worker = await startTestWorker(sim, db);
    await change('Faults', ['a', 'b']);
    await waitFor('in sync', () => allInSync(db));
    const w = worker;
    expect(await gauge(w, 'sessionRefreshes')).toBe(1);
    sim.state.expireAllSessions();
    const text = await change('Faults', ['a', 'b']);
    await waitFor('in sync again', () => allInSync(db));
    expect(canaryProps(sim, TAG('a', 'Faults')).Description).toBe(`a ${text}`);
    expect(await gauge(w, 'sessionRefreshes')).toBe(2);
    expect(storeRequests(sim).slice(-2).map((r) => r.outcome)).toEqual(['BadSessionToken', 'Good']);
    const settings = sim.state.sessionList().at(-1)?.settings;
    expect(settings).toMatchObject({ autoWriteNoData: false });
  });

  it('Errors for one tag do not block the others; the failed change is dead-lettered, replay (dry run, then --send) delivers it', async () => {
    sim.state.setFaults({ tagErrors: [{ tag: TAG('bad', 'Errs'), message: 'Tag is already being logged' }] });
    worker = await startTestWorker(sim, db);
    const text = await change('Errs', ['good1', 'bad', 'good2']);
    await waitFor('dead letter', async () => (await parity(db)).some((r) => r.status === 'dead_letter'));
    await waitFor('the others in sync', async () => (await parity(db)).filter((r) => r.status === 'in_sync').length >= 2);
    expect(canaryProps(sim, TAG('good1', 'Errs')).Description).toBe(`good1 ${text}`);
    expect(canaryProps(sim, TAG('good2', 'Errs')).Description).toBe(`good2 ${text}`);
    expect(sim.state.tag(TAG('bad', 'Errs'))).toBeUndefined();
    const { rows } = await db.pool('uns_meta_ro').query<{ error: string; canary_tag: string }>(
      'select error, canary_tag from uns_meta.canary_dead_letters where resolved_at is null');
    expect(rows.map((r) => r.canary_tag)).toEqual([TAG('bad', 'Errs')]);
    expect(rows[0]?.error).toContain('Tag is already being logged');
    await worker.stop();
    worker = undefined;
    sim.state.clearFaults();

    const before = storeRequests(sim).length;
    const dry = spawnCli(['canary', 'replay'], testEnv(sim, db));
    expect(await exitOf(dry)).toBe(0);
    expect(storeRequests(sim).length).toBe(before);
    expect(dry.output()).toContain(TAG('bad', 'Errs'));
    expect(dry.output()).toContain('dry run');

    const send = spawnCli(['canary', 'replay', '--send'], testEnv(sim, db));
    expect(await exitOf(send)).toBe(0);
    expect(canaryProps(sim, TAG('bad', 'Errs')).Description).toBe(`bad ${text}`);
    expect((await parity(db)).every((r) => r.status === 'in_sync')).toBe(true);
  });

  it('shutdown revokes the Canary session', async () => {
    worker = await startTestWorker(sim, db);
    await change('Faults', ['a']);
    await waitFor('in sync', () => allInSync(db));
    const revokedBefore = sim.state.stats().sessions.revoked;
    await worker.stop();
    worker = undefined;
    expect(sim.state.stats().sessions.revoked).toBe(revokedBefore + 1);
  });
});
