import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startCanarySim, type CanarySim } from '../../src/canary-sim/index.ts';
import { call, getJson, openSession, TS } from './helpers.ts';

let sim: CanarySim;
beforeAll(async () => {
  sim = await startCanarySim();
});
afterAll(() => sim.close());
beforeEach(() => sim.state.reset());

async function setFaults(faults: unknown): Promise<Record<string, unknown>> {
  const r = await getJson(sim.url, '/sim/faults', { method: 'POST', body: faults });
  expect(r.status).toBe(200);
  return r.json;
}

/** The error a request that gets no HTTP response fails with. */
async function transportError(promise: Promise<unknown>): Promise<{ name?: string; code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { name?: string; code?: string };
  }
  throw new Error('the request was expected to fail without a response');
}

describe('latency', () => {
  it('delays the next N requests by ms', async () => {
    await setFaults({ latency: { ms: 300, count: 1 } });
    const start = performance.now();
    expect((await call(sim.url, 'version')).json.statusCode).toBe('Good');
    expect(performance.now() - start).toBeGreaterThanOrEqual(290);
    await call(sim.url, 'version');
    expect(sim.state.requests().map((e) => e.faults)).toEqual([['latency'], []]); // count 1: spent
    expect(sim.state.requests()[0]?.durationMs).toBeGreaterThanOrEqual(300);
  });
});

describe('HTTP errors', () => {
  it('serverError answers the next N requests with 503 (or the status given), then recovers', async () => {
    await setFaults({ serverError: { count: 2 } });
    expect((await call(sim.url, 'version')).status).toBe(503);
    expect((await call(sim.url, 'version')).status).toBe(503);
    expect((await call(sim.url, 'version')).status).toBe(200);
    await setFaults({ serverError: { status: 502 } }); // no count: until cleared
    expect((await call(sim.url, 'version')).status).toBe(502);
    expect((await call(sim.url, 'version')).status).toBe(502);
    await getJson(sim.url, '/sim/faults', { method: 'DELETE' });
    expect((await call(sim.url, 'version')).status).toBe(200);
    expect(sim.state.stats().requests.byMethod.version).toEqual({ 'HTTP 503': 2, 'HTTP 502': 2, Good: 2 });
  });

  it('a methods filter limits a fault to some methods', async () => {
    await setFaults({ serverError: { methods: ['StoreData'] } });
    const token = await openSession(sim);
    const r = await call(sim.url, 'storeData', { sessionToken: token, properties: { 'Secil.A': [['Description', TS, 'x']] } });
    expect(r.status).toBe(503);
    expect(sim.state.tags()).toEqual([]);
    expect(sim.state.requests({ method: 'storeData' })[0]).toMatchObject({ tags: 1, propertyRows: 1, outcome: 'HTTP 503' });
  });

  it('tooManyRequests answers 429 with Retry-After', async () => {
    await setFaults({ tooManyRequests: { count: 1, retryAfterSeconds: 7 } });
    const r = await call(sim.url, 'version');
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('7');
    expect((await call(sim.url, 'version')).status).toBe(200);
  });
});

describe('connection faults', () => {
  it('reset destroys the connection: the client sees a socket error, not a response', async () => {
    await setFaults({ reset: { count: 1 } });
    const err = await transportError(call(sim.url, 'version'));
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(err.code);
    expect((await call(sim.url, 'version')).status).toBe(200);
    expect(sim.state.requests()[0]).toMatchObject({ outcome: 'reset', httpStatus: null, faults: ['reset'] });
  });

  it('hang never answers: the client times out, and close() still ends promptly', async () => {
    const own = await startCanarySim({ faults: { hang: { count: 1 } } });
    const err = await transportError(call(own.url, 'version', {}, { signal: AbortSignal.timeout(300) }));
    expect(err.name).toMatch(/AbortError|TimeoutError/);
    expect(own.state.requests()[0]).toMatchObject({ outcome: 'hang', httpStatus: null });
    expect((await call(own.url, 'version')).status).toBe(200);
    // A second hung request is still open when the simulator closes.
    own.state.setFaults({ hang: {} });
    const pending = transportError(call(own.url, 'version'));
    await sleep(50);
    const start = performance.now();
    await own.close();
    expect(performance.now() - start).toBeLessThan(1000);
    expect((await pending).code).toBeDefined();
  });
});

describe('session faults', () => {
  it('badSessionToken answers the next N calls with a live token BadSessionToken and closes those sessions', async () => {
    const a = await openSession(sim);
    const b = await openSession(sim);
    await setFaults({ badSessionToken: { count: 2 } });
    expect((await call(sim.url, 'storeData', { sessionToken: a })).json.statusCode).toBe('BadSessionToken');
    expect((await call(sim.url, 'keepAlive', { sessionToken: a })).json.statusCode).toBe('BadSessionToken'); // really closed
    expect((await call(sim.url, 'keepAlive', { sessionToken: b })).json.statusCode).toBe('BadSessionToken');
    const c = await openSession(sim); // getSessionToken is not affected
    expect((await call(sim.url, 'keepAlive', { sessionToken: c })).json.statusCode).toBe('Good');
    expect(sim.state.stats().sessions.closedByFault).toBe(2);
  });

  it('POST /sim/sessions/expire closes every session', async () => {
    const tokens = [await openSession(sim), await openSession(sim)];
    expect((await getJson(sim.url, '/sim/sessions/expire', { method: 'POST' })).json).toEqual({ expired: 2 });
    for (const sessionToken of tokens) {
      expect((await call(sim.url, 'keepAlive', { sessionToken })).json.statusCode).toBe('BadSessionToken');
    }
  });
});

describe('per-tag errors', () => {
  it('fails the listed tags and prefixes with Errors while storing the others', async () => {
    await setFaults({
      tagErrors: [{ tag: 'Secil.Plant.Broken' }, { prefix: 'Secil.Locked.', message: 'Tag is already being logged' }],
    });
    const token = await openSession(sim);
    const row = [['Description', TS, 'x']];
    const r = await call(sim.url, 'storeData', {
      sessionToken: token,
      properties: { 'Secil.Plant.Broken': row, 'Secil.Locked.A': row, 'Secil.Locked.B': row, 'Secil.Plant.Fine': row },
    });
    expect(r.json).toEqual({
      statusCode: 'Errors',
      errors: [
        'Secil.Plant.Broken: simulated failure for this tag (canary-sim tagErrors fault)',
        'Secil.Locked.A: Tag is already being logged',
        'Secil.Locked.B: Tag is already being logged',
      ],
    });
    expect(sim.state.tags()).toEqual(['Secil.Plant.Fine']);
  });
});

describe('errors naming no tag', () => {
  it('answer storeData with Errors and one message naming no tag, store nothing, and leave other methods alone', async () => {
    await setFaults({ requestErrors: { count: 1, message: 'the historian refused the whole request' } });
    const token = await openSession(sim); // getSessionToken is not storeData: not affected
    const row = [['Description', TS, 'x']];
    const body = { sessionToken: token, properties: { 'Secil.Plant.A': row, 'Secil.Plant.B': row } };
    expect((await call(sim.url, 'storeData', body)).json).toEqual({ statusCode: 'Errors', errors: ['the historian refused the whole request'] });
    expect(sim.state.tags()).toEqual([]);
    expect((await call(sim.url, 'storeData', body)).json).toEqual({ statusCode: 'Good', errors: [] }); // count 1: spent
    expect(sim.state.tags()).toEqual(['Secil.Plant.A', 'Secil.Plant.B']);
    await setFaults({ requestErrors: {} });
    expect((await call(sim.url, 'storeData', body)).json).toEqual({ statusCode: 'Errors', errors: ['simulated failure of the whole request (canary-sim requestErrors fault)'] });
  });
});

describe('fault control', () => {
  it('fractions come from a seeded PRNG: the same seed fails the same requests', async () => {
    const pattern = async (): Promise<number[]> => {
      await setFaults({ seed: 42, serverError: { fraction: 0.5 } });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await call(sim.url, 'version')).status);
      return statuses;
    };
    const first = await pattern();
    expect(await pattern()).toEqual(first);
    const failures = first.filter((s) => s === 503).length;
    expect(failures).toBeGreaterThan(5);
    expect(failures).toBeLessThan(35);
  });

  it('GET /sim/faults shows what is left and what fired; POST merges, null clears', async () => {
    await setFaults({ serverError: { count: 3 }, latency: { ms: 1 } });
    await call(sim.url, 'version');
    const shown = await setFaults({ latency: null });
    expect(shown).toEqual({ faults: { serverError: { count: 2, status: 503 } }, fired: { serverError: 1, latency: 1 } });
    expect((await getJson(sim.url, '/sim/faults')).json).toEqual(shown);
  });

  it.each([
    [{ serverError: { status: 404 } }, /serverError.status must be an HTTP status from 500 to 599/],
    [{ latency: { ms: -1 } }, /latency.ms must be an integer/],
    [{ reset: { count: 0 } }, /reset.count must be a positive integer/],
    [{ hang: { fraction: 2 } }, /hang.fraction must be a number in \(0, 1\]/],
    [{ hang: { methods: ['storeTagData'] } }, /not a Canary Write API method/],
    [{ hang: { every: 2 } }, /hang.every is not a fault option/],
    [{ explode: {} }, /"explode" is not a fault/],
    [{ tagErrors: [{ tag: 'a', prefix: 'b' }] }, /exactly one of "tag" or "prefix"/],
    [{ requestErrors: { message: 7 } }, /requestErrors.message must be a string, got 7$/],
    [{ requestErrors: { status: 500 } }, /requestErrors.status is not a fault option; use count, fraction, methods, message/],
  ])('refuses %j with 400 and the reason', async (faults, message) => {
    const r = await getJson(sim.url, '/sim/faults', { method: 'POST', body: faults });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(message);
    expect(() => sim.state.setFaults(faults as never)).toThrow(message);
  });

  it('rejects invalid start-up faults', async () => {
    await expect(startCanarySim({ faults: { serverError: { status: 200 } } })).rejects.toThrow(/invalid faults/);
  });

  it('POST /sim/reset restores the start-up faults and clears data, sessions and the log', async () => {
    const own = await startCanarySim({ faults: { serverError: { count: 1 } } });
    try {
      expect((await call(own.url, 'version')).status).toBe(503);
      const token = await openSession(own);
      await call(own.url, 'storeData', { sessionToken: token, properties: { 'Secil.A': [['Description', TS, 'x']] } });
      const reset = await request(`${own.url}/sim/reset`, { method: 'POST' });
      expect(reset.statusCode).toBe(200);
      await reset.body.dump();
      expect(own.state.tags()).toEqual([]);
      expect(own.state.sessionList()).toEqual([]);
      expect(own.state.requests()).toEqual([]);
      expect((await call(own.url, 'version')).status).toBe(503);
      expect((await call(own.url, 'keepAlive', { sessionToken: token })).json.statusCode).toBe('BadSessionToken');
    } finally {
      await own.close();
    }
  });
});
