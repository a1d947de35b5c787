// The worker against a failing Canary: transient faults are retried and delivered, the circuit opens and recovers,
// an expired session is replaced, a per-tag error does not block the other tags, and dead letters are replayed.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startCanarySim } from '../../src/canary-sim/index.ts';
import type { RunningWorker } from '../../src/worker/index.ts';
import {
  allInSync, birth, canaryProps, circuitRecorder, ingest, parity, spawnCli, startTestWorker, storeRequests, TAG, testEnv, useWorkerFixture, waitFor,
} from './helpers.ts';

const fx = useWorkerFixture();

const gauge = async (w: RunningWorker, name: 'circuitState' | 'circuitOpens' | 'sessionRefreshes' | 'retries' | 'deadLetters') =>
  (await w.deps.metrics[name].get()).values[0]?.value ?? 0;

let version = 0;
/** A new birth of device `device` that changes every metric's Description. */
async function change(device: string, names: string[]): Promise<string> {
  const text = `rev ${++version}`;
  await ingest(fx.db, birth(device, Object.fromEntries(names.map((n) => [n, { engUnit: 'bar', documentation: `${n} ${text}` }]))));
  return text;
}

describe('worker under faults', () => {
  it('HTTP 5xx, a timeout and a connection reset are retried and the change is delivered', async () => {
    fx.sim.state.setFaults({
      serverError: { count: 2, methods: ['storeData'] },
      reset: { count: 1, methods: ['storeData'] },
      latency: { ms: 1500, count: 1, methods: ['storeData'] },
    });
    fx.worker = await startTestWorker(fx.sim, fx.db);
    const text = await change('Faults', ['a', 'b']);
    await waitFor('in sync', () => allInSync(fx.db));
    expect(canaryProps(fx.sim, TAG('a', 'Faults')).Description).toBe(`a ${text}`);
    const outcomes = storeRequests(fx.sim).map((r) => r.outcome);
    expect(outcomes).toContain('HTTP 503');
    expect(outcomes).toContain('reset');
    expect(outcomes.at(-1)).toBe('Good');
    expect(await gauge(fx.worker, 'retries')).toBeGreaterThanOrEqual(3);
    expect(await gauge(fx.worker, 'deadLetters')).toBe(0);
  });

  it('the circuit opens after consecutive failures (changes wait in Postgres, nothing reaches Canary while it is open), then a half-open probe closes it', async () => {
    const circuit = circuitRecorder(fx.sim);
    fx.worker = await startTestWorker(fx.sim, fx.db,
      { CANARY_BREAKER_CONSECUTIVE_FAILURES: '3', CANARY_RETRY_ATTEMPTS: '6', CANARY_BREAKER_HALF_OPEN_AFTER_MS: '2000' }, circuit.logger);
    fx.sim.state.setFaults({ serverError: { methods: ['storeData'] } });
    const text = await change('Faults', ['a', 'b']);
    const w = fx.worker;
    await waitFor('circuit open', async () => (await gauge(w, 'circuitState')) === 2);
    await waitFor('job failed and kept', async () =>
      (await fx.db.pool('uns_meta_admin').query(`select 1 from graphile_worker.jobs where last_error is not null`)).rowCount === 1);
    // pending, or never_synced when this test runs alone
    expect((await parity(fx.db)).filter((r) => r.status === 'pending' || r.status === 'never_synced')).toHaveLength(2);
    await sleep(1000); // the job's next attempt (graphile-worker retries it after e^1 s) may come while the circuit is open
    fx.sim.state.clearFaults();
    await waitFor('in sync after recovery', () => allInSync(fx.db), 15_000);
    expect(canaryProps(fx.sim, TAG('b', 'Faults')).Description).toBe(`b ${text}`);
    expect(await gauge(w, 'circuitState')).toBe(0);

    // Checked on the simulator's clock rather than by sampling: no storeData arrived while the circuit was open
    // (from a change to open until the next change, which is the half-open probe's).
    const changes = circuit.changes;
    expect(changes[0]?.state).toBe(2);
    expect(changes.at(-1)?.state).toBe(0);
    const open = changes.flatMap((c, i) => (c.state === 2 ? [{ from: c.t, to: changes[i + 1]?.t ?? Infinity }] : []));
    const requests = storeRequests(fx.sim);
    const duringOpen = requests.filter((r) => open.some((o) => r.t >= o.from && r.t < o.to));
    expect(duringOpen).toEqual([]);
    const beforeOpen = requests.filter((r) => r.t < changes[0]!.t);
    expect(beforeOpen.slice(-3).map((r) => r.outcome)).toEqual(['HTTP 503', 'HTTP 503', 'HTTP 503']);
  });

  it('BadSessionToken mid-run: a new session is acquired and the batch resent once', async () => {
    fx.worker = await startTestWorker(fx.sim, fx.db);
    await change('Faults', ['a', 'b']);
    await waitFor('in sync', () => allInSync(fx.db));
    const w = fx.worker;
    expect(await gauge(w, 'sessionRefreshes')).toBe(1);
    fx.sim.state.expireAllSessions();
    const text = await change('Faults', ['a', 'b']);
    await waitFor('in sync again', () => allInSync(fx.db));
    expect(canaryProps(fx.sim, TAG('a', 'Faults')).Description).toBe(`a ${text}`);
    expect(await gauge(w, 'sessionRefreshes')).toBe(2);
    expect(storeRequests(fx.sim).slice(-2).map((r) => r.outcome)).toEqual(['BadSessionToken', 'Good']);
    const settings = fx.sim.state.sessionList().at(-1)?.settings;
    expect(settings).toMatchObject({ autoWriteNoData: false });
  });

  it('Errors for one tag do not block the others; the failed change is dead-lettered, replay (dry run, then --send) delivers it', async () => {
    fx.sim.state.setFaults({ tagErrors: [{ tag: TAG('bad', 'Errs'), message: 'Tag is already being logged' }] });
    fx.worker = await startTestWorker(fx.sim, fx.db);
    const text = await change('Errs', ['good1', 'bad', 'good2']);
    await waitFor('dead letter', async () => (await parity(fx.db)).some((r) => r.status === 'dead_letter'));
    await waitFor('the others in sync', async () => (await parity(fx.db)).filter((r) => r.status === 'in_sync').length >= 2);
    expect(canaryProps(fx.sim, TAG('good1', 'Errs')).Description).toBe(`good1 ${text}`);
    expect(canaryProps(fx.sim, TAG('good2', 'Errs')).Description).toBe(`good2 ${text}`);
    expect(fx.sim.state.tag(TAG('bad', 'Errs'))).toBeUndefined();
    const { rows } = await fx.db.pool('uns_meta_ro').query<{ error: string; canary_tag: string }>(
      'select error, canary_tag from uns_meta.canary_dead_letters where resolved_at is null');
    expect(rows.map((r) => r.canary_tag)).toEqual([TAG('bad', 'Errs')]);
    expect(rows[0]?.error).toContain('Tag is already being logged');
    await fx.worker.stop();
    fx.worker = undefined;
    fx.sim.state.clearFaults();

    const before = storeRequests(fx.sim).length;
    const dry = spawnCli(['canary', 'replay'], testEnv(fx.sim, fx.db));
    expect(await dry.exited).toBe(0);
    expect(storeRequests(fx.sim).length).toBe(before);
    expect(dry.output()).toContain(TAG('bad', 'Errs'));
    expect(dry.output()).toContain('dry run');

    const send = spawnCli(['canary', 'replay', '--send'], testEnv(fx.sim, fx.db));
    expect(await send.exited).toBe(0);
    expect(canaryProps(fx.sim, TAG('bad', 'Errs')).Description).toBe(`bad ${text}`);
    expect((await parity(fx.db)).every((r) => r.status === 'in_sync')).toBe(true);
  });

  it('shutdown revokes the Canary session', async () => {
    fx.worker = await startTestWorker(fx.sim, fx.db);
    await change('Faults', ['a']);
    await waitFor('in sync', () => allInSync(fx.db));
    const revokedBefore = fx.sim.state.stats().sessions.revoked;
    await fx.worker.stop();
    fx.worker = undefined;
    expect(fx.sim.state.stats().sessions.revoked).toBe(revokedBefore + 1);
  });

  it('keeps an idle session alive with keepAlive, and the next change needs no new session', async () => {
    // Session expiry after 6 s idle; the worker sends keepAlive once idle for 3 s, checking every 1.2 s: a stall of
    // up to 1.8 s still passes. The test waits on what it checks (two keepAlives, then an idle time longer than the
    // session timeout), not on a fixed sleep.
    const timeoutMs = 6000;
    fx.worker = await startTestWorker(fx.sim, fx.db, { CANARY_SESSION_TIMEOUT_MS: String(timeoutMs) });
    await change('Idle', ['a']);
    await waitFor('in sync', () => allInSync(fx.db));
    const w = fx.worker;
    const expiredBefore = fx.sim.state.stats().sessions.expired;
    const keepAlivesBefore = fx.sim.state.requests({ method: 'keepAlive' }).length;
    const idleSince = performance.now();
    await waitFor('two keepAlives and an idle time past the session timeout', () => Promise.resolve(
      fx.sim.state.requests({ method: 'keepAlive' }).length >= keepAlivesBefore + 2 && performance.now() - idleSince > 1.2 * timeoutMs), 60_000);
    expect(fx.sim.state.stats().sessions.expired).toBe(expiredBefore);
    const refreshes = await gauge(w, 'sessionRefreshes');
    const text = await change('Idle', ['a']);
    await waitFor('in sync again', () => allInSync(fx.db));
    expect(canaryProps(fx.sim, TAG('a', 'Idle')).Description).toBe(`a ${text}`);
    expect(await gauge(w, 'sessionRefreshes')).toBe(refreshes);
    expect(storeRequests(fx.sim).at(-1)?.outcome).toBe('Good');
  }, 90_000);

  it('CANARY_DATASET=Test writes <Test>.<path without the group> and creates the dataset for that session only', async () => {
    const sim = await startCanarySim({ port: 0, datasets: ['Secil'] });
    try {
      fx.worker = await startTestWorker(sim, fx.db, { CANARY_DATASET: 'Test' });
      const text = await change('Dataset', ['a']);
      await waitFor('in sync', () => allInSync(fx.db));
      expect(canaryProps(sim, 'Test.Portugal.Dataset.a').Description).toBe(`a ${text}`);
      expect(sim.state.datasets()).toContain('Test');
      expect(sim.state.sessionList()[0]?.settings).toMatchObject({ autoCreateDatasets: true, autoWriteNoData: false });
    } finally {
      await fx.worker?.stop();
      fx.worker = undefined;
      await sim.close();
    }
  });

  it('after the last attempt of its job, a change Canary keeps refusing (HTTP 503) goes to the dead letters; nothing is lost', async () => {
    fx.sim.state.setFaults({ serverError: { methods: ['storeData'] } });
    await fx.db.pool('uns_meta_admin').query(`update uns_meta.settings set value = '"1 hour"' where key = 'debounce_interval'`);
    const text = await change('Last', ['a']);
    await fx.db.pool('uns_meta_admin').query(`update uns_meta.settings set value = '"0 seconds"' where key = 'debounce_interval'`);
    // a job already at its last attempt (graphile-worker counts attempts when it takes a job)
    await fx.db.pool('uns_meta_admin').query(`update graphile_worker._private_jobs set max_attempts = 1, run_at = now()`);
    fx.worker = await startTestWorker(fx.sim, fx.db, { CANARY_RETRY_ATTEMPTS: '3' });
    await waitFor('dead letter', async () => (await parity(fx.db)).some((r) => r.status === 'dead_letter' && r.canary_tag === null));
    await waitFor('job completed', async () => (await fx.db.pool('uns_meta_admin').query('select 1 from graphile_worker.jobs')).rowCount === 0);
    const { rows } = await fx.db.pool('uns_meta_ro').query<{ error: string; attempts: number; properties: Record<string, unknown> }>(
      'select error, attempts, properties from uns_meta.canary_dead_letters where resolved_at is null and canary_tag = $1', [TAG('a', 'Last')]);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.error).toContain('HTTP 503');
    expect(rows[0]?.attempts).toBe(1);
    expect(rows[0]?.properties).toMatchObject({ Description: `a ${text}` });
    expect(storeRequests(fx.sim).filter((r) => r.outcome === 'HTTP 503').length).toBeGreaterThanOrEqual(3);
  });
});

describe('circuit breaker: the failure-ratio rule (5xx over a sliding window)', () => {
  // A 1 s window instead of a minute so the test takes seconds; 20 consecutive failures (the default) would open
  // it by the other rule, so the tests check that no run of 20 failures happened. One tag per request: 300 requests.
  const ratioEnv = (ratio: string) => ({
    CANARY_BREAKER_FAILURE_RATIO: ratio, CANARY_BREAKER_WINDOW_MS: '1000', CANARY_BREAKER_MINIMUM_RPS: '20',
    CANARY_BREAKER_CONSECUTIVE_FAILURES: '20', CANARY_BREAKER_HALF_OPEN_AFTER_MS: '500', CANARY_BATCH_MAX_TAGS: '1',
  });
  const names = Array.from({ length: 300 }, (_, i) => `m${i}`);
  /** Every metric of the device is in sync (other tests of this file leave dead letters behind). */
  const deviceInSync = async (device: string) => {
    const { rows } = await fx.db.pool('uns_meta_ro').query<{ n: number; in_sync: number }>(
      `select count(*)::int as n, count(*) filter (where status = 'in_sync')::int as in_sync
         from uns_meta.canary_parity where uns_path like $1`, [`Secil/Portugal/${device}/%`]);
    return rows[0] !== undefined && rows[0].n === names.length && rows[0].in_sync === rows[0].n;
  };
  /** storeData requests since `from`: how many failed with HTTP 503, and the longest run of them in a row. */
  const failures = (from: number) => {
    let run = 0;
    let longest = 0;
    let total = 0;
    for (const r of storeRequests(fx.sim).slice(from)) {
      run = r.outcome === 'HTTP 503' ? run + 1 : 0;
      total += r.outcome === 'HTTP 503' ? 1 : 0;
      longest = Math.max(longest, run);
    }
    return { total, longest };
  };

  it('opens on >= 2 % of requests failing with 5xx within the window, with fewer than 20 failures in a row', async () => {
    const from = storeRequests(fx.sim).length;
    fx.sim.state.setFaults({ seed: 7, serverError: { fraction: 0.1, methods: ['storeData'] } });
    fx.worker = await startTestWorker(fx.sim, fx.db, ratioEnv('0.02'));
    await change('RatioHigh', names);
    const w = fx.worker;
    await waitFor('circuit opened', async () => (await gauge(w, 'circuitOpens')) >= 1);
    const seen = failures(from);
    expect(seen.total).toBeGreaterThan(0);
    expect(seen.longest).toBeLessThan(20);
    fx.sim.state.clearFaults();
    await waitFor('in sync after recovery', () => deviceInSync('RatioHigh'), 30_000);
  });

  it('stays closed while the 5xx ratio is below the threshold, and every change is delivered', async () => {
    const from = storeRequests(fx.sim).length;
    fx.sim.state.setFaults({ seed: 7, serverError: { fraction: 0.03, methods: ['storeData'] } });
    fx.worker = await startTestWorker(fx.sim, fx.db, ratioEnv('0.25'));
    await change('RatioLow', names);
    await waitFor('in sync', () => deviceInSync('RatioLow'), 30_000);
    expect(failures(from).total).toBeGreaterThan(0); // failures happened (and were retried) ...
    expect(await gauge(fx.worker, 'circuitOpens')).toBe(0); // ... without opening the circuit
    expect(await gauge(fx.worker, 'circuitState')).toBe(0);
  });
});
