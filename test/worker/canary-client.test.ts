// CanaryClient on its own (src/worker/canary-client.ts), one call at a time with retries off (CANARY_RETRY_ATTEMPTS=1),
// so each rule shows in what reaches Canary and in what the call returns or throws:
//   - against the simulator and its faults: the session (one re-acquisition and resend on BadSessionToken, never a
//     second), keepAlive only while idle and only with a session, the error class and message of each transport
//     failure, the request metrics (outcome labels, seconds), the circuit breaker's counter;
//   - against a scripted server, for answers no Canary gives (the simulator follows the contract): an envelope
//     missing or malformed, a 4xx with an envelope, a body that is not JSON, a session token missing.
// The rate gate is the real one (its schedule lives in the test database).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultPatch } from '../../src/canary-sim/faults.ts';
import { type CanarySim, startCanarySim } from '../../src/canary-sim/index.ts';
import { loadWorkerConfig } from '../../src/runtime/config/worker.ts';
import { CanaryClient } from '../../src/worker/canary-client.ts';
import { BadSessionTokenError, PermanentCanaryError, TransientCanaryError } from '../../src/worker/canary-errors.ts';
import { createWorkerMetrics, type WorkerMetrics } from '../../src/worker/metrics.ts';
import { createRateLimit } from '../../src/worker/rate-limit.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { TAG, testEnv, waitFor } from './helpers.ts';

let db: TestDatabase;
let sim: CanarySim;
const open: CanaryClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startCanarySim({ port: 0 });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  sim.state.clearFaults();
});
afterAll(async () => {
  await sim.close();
  await db.drop();
});

interface TestClient {
  client: CanaryClient;
  metrics: WorkerMetrics;
  /** Parsed log records. */
  logs: { msg: string; [k: string]: unknown }[];
}

function newClient(extra: Record<string, string> = {}, canary: CanarySim = sim): TestClient {
  const config = loadWorkerConfig(testEnv(canary, db, { CANARY_RETRY_ATTEMPTS: '1', ...extra }));
  const metrics = createWorkerMetrics();
  const { gate } = createRateLimit(config, db.pool('uns_meta_app'), metrics);
  const logs: TestClient['logs'] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as TestClient['logs'][number]) });
  const client = new CanaryClient(config, { gate, metrics, logger });
  open.push(client);
  return { client, metrics, logs };
}

let n = 0;
/** A storeData properties object for one new tag: its JSON and the tag. */
function oneTag(): { json: string; tag: string } {
  const tag = TAG(`Client${++n}`);
  return { json: JSON.stringify({ [tag]: [['Description', '2026-12-07T00:00:00.000Z', `d${n}`, 192]]}), tag };
}

/** What a call rejected with (undefined when it resolved). */
const failureOf = (call: Promise<unknown>): Promise<unknown> => call.then(() => undefined, (e: unknown) => e);

const since = (seq: number, method?: string) => sim.state.requests({ afterSeq: seq, ...(method ? { method } : {}) });
const lastSeq = () => sim.state.requests().at(-1)?.seq ?? 0;

/** The value of a counter or histogram series with exactly these labels (histograms: their _sum or _count). */
async function series(metric: { get(): Promise<{ values: { value: number; labels: Record<string, unknown>; metricName?: string }[] }> },
  labels: Record<string, string>, name?: string): Promise<number | undefined> {
  const { values } = await metric.get();
  return values.find((v) => (name === undefined || v.metricName === name)
    && Object.keys(v.labels).length === Object.keys(labels).length
    && Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value;
}

describe('the session', () => {
  it('a storeData refused with BadSessionToken: a new session, the request resent once, the data stored', async () => {
    const { client, metrics, logs } = newClient();
    const from = lastSeq();
    sim.state.setFaults({ badSessionToken: { count: 1, methods: ['storeData'] } });
    const { json, tag } = oneTag();
    expect(await client.storeProperties(json, [tag])).toEqual({ tagErrors: new Map(), otherErrors: [] });
    expect(since(from).map((r) => [r.method, r.outcome])).toEqual([
      ['getSessionToken', 'Good'], ['storeData', 'BadSessionToken'], ['getSessionToken', 'Good'], ['storeData', 'Good'],
    ]);
    expect(sim.state.properties(tag)?.Description?.value).toBe(`d${n}`);
    expect((await metrics.sessionRefreshes.get()).values[0]!.value).toBe(2);
    expect(logs.map((l) => l.msg)).toContain('Canary session refused (BadSessionToken): acquiring a new one and resending');
  });

  it('refused again after the resend: BadSessionTokenError, after exactly two storeData', async () => {
    const { client } = newClient();
    const from = lastSeq();
    sim.state.setFaults({ badSessionToken: { methods: ['storeData'] } });
    const { json, tag } = oneTag();
    const err = await failureOf(client.storeProperties(json, [tag]));
    expect(err).toBeInstanceOf(BadSessionTokenError);
    expect(err).toMatchObject({ name: 'BadSessionTokenError', message: 'Canary answered BadSessionToken to storeData' });
    expect(since(from).map((r) => [r.method, r.outcome])).toEqual([
      ['getSessionToken', 'Good'], ['storeData', 'BadSessionToken'], ['getSessionToken', 'Good'], ['storeData', 'BadSessionToken'],
    ]);
    expect(sim.state.properties(tag)).toBeUndefined();
  });

  it('a getSessionToken refused by Canary (statusCode Error): PermanentCanaryError with Canary\'s reason, nothing stored', async () => {
    const refusing = await startCanarySim({ port: 0, apiToken: 'the-token' });
    try {
      const { client, metrics } = newClient({ CANARY_API_TOKEN: 'not-the-token' }, refusing);
      const { json, tag } = oneTag();
      const err = await failureOf(client.storeProperties(json, [tag]));
      expect(err).toBeInstanceOf(PermanentCanaryError);
      expect((err as Error).name).toBe('PermanentCanaryError');
      expect((err as Error).message).toMatch(/^Canary refused getSessionToken: apiToken is missing or not valid/);
      expect((err as Error).message).not.toContain('not-the-token');
      expect(refusing.state.requests().map((r) => [r.method, r.outcome])).toEqual([['getSessionToken', 'Error']]);
      expect(await series(metrics.requests, { method: 'getSessionToken', outcome: 'Error' })).toBe(1);
      expect(refusing.state.properties(tag)).toBeUndefined();
    } finally {
      await Promise.all(open.splice(0).map((c) => c.close()));
      await refusing.close();
    }
  });
});

describe('a failed getSessionToken', () => {
  it('is not kept as the session: the next call acquires again and succeeds', async () => {
    const { client } = newClient();
    const from = lastSeq();
    sim.state.setFaults({ serverError: { count: 1, methods: ['getSessionToken'] } });
    const { json, tag } = oneTag();
    await expect(client.storeProperties(json, [tag])).rejects.toThrow('Canary getSessionToken answered HTTP 503');
    expect(await client.storeProperties(json, [tag])).toEqual({ tagErrors: new Map(), otherErrors: [] });
    expect(since(from).map((r) => [r.method, r.outcome])).toEqual([
      ['getSessionToken', 'HTTP 503'], ['getSessionToken', 'Good'], ['storeData', 'Good'],
    ]);
  });

  it('a revokeSessionToken that fails at close: one warning with the cause, and close still resolves', async () => {
    const { client, logs } = newClient();
    const { json, tag } = oneTag();
    await client.storeProperties(json, [tag]);
    sim.state.setFaults({ serverError: { count: 1, methods: ['revokeSessionToken'] } });
    await client.close();
    expect(logs.filter((l) => l.msg === 'could not revoke the Canary session').map((l) => l.err))
      .toEqual(['TransientCanaryError: Canary revokeSessionToken answered HTTP 503']);
  });
});

describe('keepAlive', () => {
  // CANARY_SESSION_TIMEOUT_MS=2000: the timer looks every 400 ms and sends keepAlive once nothing was sent for 1 s.
  const SESSION = { CANARY_SESSION_TIMEOUT_MS: '2000' };

  it('without a session: nothing is sent, neither keepAlive nor, at close, revokeSessionToken', async () => {
    const { client } = newClient(SESSION);
    const from = lastSeq();
    await sleep(1800);
    await client.close();
    await client.close(); // a second close waits for the first and never throws
    expect(since(from)).toEqual([]);
  });

  it('sent only after half the session timeout without a call, never while calls keep coming', async () => {
    const { client } = newClient(SESSION);
    const from = lastSeq();
    // busy: a call every 100 ms for 2.5 s
    const busyUntil = Date.now() + 2500;
    while (Date.now() < busyUntil) {
      const { json, tag } = oneTag();
      await client.storeProperties(json, [tag]);
      await sleep(100);
    }
    // then idle until a keepAlive came
    await waitFor('a keepAlive', () => Promise.resolve(since(from, 'keepAlive').length > 0), 10_000);
    const log = since(from);
    const keepAlives = log.flatMap((r, i) => (r.method === 'keepAlive' ? [{ r, gap: r.t - log[i - 1]!.t }] : []));
    expect(keepAlives.every(({ r }) => r.outcome === 'Good')).toBe(true);
    // each keepAlive came at least ~1 s after the request before it (arrival times on the simulator's clock; the
    // client's own clock starts a little before arrival, hence the slack)
    for (const { gap } of keepAlives) expect(gap).toBeGreaterThan(1000 - 100);
    expect(log.filter((r) => r.method === 'getSessionToken')).toHaveLength(1);
  });

  it('a keepAlive that fails: one warning with the cause, the session kept', async () => {
    const { client, logs } = newClient(SESSION);
    const first = oneTag();
    await client.storeProperties(first.json, [first.tag]);
    const from = lastSeq();
    sim.state.setFaults({ serverError: { count: 1, methods: ['keepAlive'] } });
    await waitFor('the failed keepAlive', () => Promise.resolve(logs.some((l) => l.msg === 'Canary keepAlive failed')), 10_000);
    expect(logs.find((l) => l.msg === 'Canary keepAlive failed')?.err).toBe('TransientCanaryError: Canary keepAlive answered HTTP 503');
    const second = oneTag();
    await client.storeProperties(second.json, [second.tag]);
    expect(since(from).filter((r) => r.method !== 'keepAlive').map((r) => [r.method, r.outcome])).toEqual([['storeData', 'Good']]);
  });

  it('a keepAlive refused with BadSessionToken drops the session: the next store acquires a new one first', async () => {
    const { client } = newClient(SESSION);
    const first = oneTag();
    await client.storeProperties(first.json, [first.tag]);
    const from = lastSeq();
    sim.state.setFaults({ badSessionToken: { count: 1, methods: ['keepAlive'] } });
    await waitFor('the refused keepAlive', () => Promise.resolve(since(from, 'keepAlive').some((r) => r.outcome === 'BadSessionToken')), 10_000);
    const second = oneTag();
    await client.storeProperties(second.json, [second.tag]);
    expect(since(from).filter((r) => r.method !== 'keepAlive').map((r) => [r.method, r.outcome])).toEqual([
      ['getSessionToken', 'Good'], ['storeData', 'Good'],
    ]);
  });
});

describe('a failed attempt: its error, its message and its outcome label', () => {
  it('HTTP 500 and HTTP 429 are transient and carry the status', async () => {
    const { client, metrics } = newClient();
    const { json, tag } = oneTag();
    await client.storeProperties(json, [tag]); // the session first
    const faults: [FaultPatch, number][] = [[{ serverError: { status: 500, count: 1, methods: ['storeData'] } }, 500],
      [{ tooManyRequests: { count: 1, methods: ['storeData'] } }, 429]];
    for (const [fault, status] of faults) {
      sim.state.setFaults(fault);
      const err = await failureOf(client.storeProperties(json, [tag]));
      expect(err).toBeInstanceOf(TransientCanaryError);
      expect(err).toMatchObject({ name: 'TransientCanaryError', message: `Canary storeData answered HTTP ${status}`, httpStatus: status });
      expect(await series(metrics.requests, { method: 'storeData', outcome: `http_${status}` })).toBe(1);
    }
    expect(await series(metrics.requests, { method: 'storeData', outcome: 'Good' })).toBe(1);
  });

  it('no answer within CANARY_REQUEST_TIMEOUT_MS: transient, "timeout"', async () => {
    const { client, metrics } = newClient({ CANARY_REQUEST_TIMEOUT_MS: '300' });
    sim.state.setFaults({ hang: { count: 1, methods: ['getSessionToken'] } });
    const { json, tag } = oneTag();
    const err = await failureOf(client.storeProperties(json, [tag]));
    expect(err).toBeInstanceOf(TransientCanaryError);
    expect((err as Error).message).toBe('Canary getSessionToken got no answer within 300 ms');
    expect(await series(metrics.requests, { method: 'getSessionToken', outcome: 'timeout' })).toBe(1);
  });

  it('the whole call cut by CANARY_OPERATION_TIMEOUT_MS (the request aborted from outside): "timeout" too', async () => {
    const { client, metrics } = newClient({ CANARY_OPERATION_TIMEOUT_MS: '300', CANARY_REQUEST_TIMEOUT_MS: '20000' });
    sim.state.setFaults({ hang: { count: 1, methods: ['getSessionToken'] } });
    const { json, tag } = oneTag();
    await expect(client.storeProperties(json, [tag])).rejects.toThrow();
    await waitFor('the aborted request counted', async () => (await series(metrics.requests, { method: 'getSessionToken', outcome: 'timeout' })) === 1, 5000);
    expect(await series(metrics.requests, { method: 'getSessionToken', outcome: 'transport_error' })).toBeUndefined();
  });

  it('a connection reset: transient, "transport_error", the cause in the message', async () => {
    const { client, metrics } = newClient();
    sim.state.setFaults({ reset: { count: 1, methods: ['getSessionToken'] } });
    const { json, tag } = oneTag();
    const err = await failureOf(client.storeProperties(json, [tag]));
    expect(err).toBeInstanceOf(TransientCanaryError);
    expect((err as Error).message).toMatch(/^Canary getSessionToken failed in transport: \w*Error: \S/);
    expect(await series(metrics.requests, { method: 'getSessionToken', outcome: 'transport_error' })).toBe(1);
    expect(await series(metrics.requests, { method: 'getSessionToken', outcome: 'timeout' })).toBeUndefined();
  });
});

describe('request metrics', () => {
  it('request time in seconds by method (rate-slot wait apart), slot wait in seconds', async () => {
    const { client, metrics } = newClient();
    sim.state.setFaults({ latency: { ms: 400, methods: ['storeData'] } });
    const { json, tag } = oneTag();
    await client.storeProperties(json, [tag]);
    const storeSum = await series(metrics.requestDuration, { method: 'storeData' }, 'uns_meta_canary_request_duration_seconds_sum');
    expect(storeSum).toBeGreaterThanOrEqual(0.4);
    expect(storeSum).toBeLessThan(10);
    expect(await series(metrics.requestDuration, { method: 'getSessionToken' }, 'uns_meta_canary_request_duration_seconds_count')).toBe(1);
    expect(await series(metrics.rateSlotWait, {}, 'uns_meta_canary_rate_slot_wait_seconds_count')).toBe(2);
    const slotWait = await series(metrics.rateSlotWait, {}, 'uns_meta_canary_rate_slot_wait_seconds_sum');
    expect(slotWait).toBeGreaterThan(0);
    expect(slotWait).toBeLessThan(5);
    expect((await metrics.rateSlotWaiting.get()).values[0]!.value).toBe(0); // each wait counted in, then out
  });

  it('every attempt takes a slot of the shared rate schedule: at 5 requests a second, five requests span 800 ms', async () => {
    const { client } = newClient({ CANARY_RATE_LIMIT_RPS: '5', CANARY_RATE_SAFETY: '1' });
    const from = lastSeq();
    for (let i = 0; i < 4; i++) {
      const { json, tag } = oneTag();
      await client.storeProperties(json, [tag]);
    }
    const t = since(from).map((r) => r.t);
    expect(t).toHaveLength(5); // the session, then four stores
    // slots are 200 ms apart, so the last request cannot arrive before 800 ms after the first one's slot; the
    // first may arrive late (within CANARY_SLOT_TOLERANCE_MS, or later on a stalled machine), hence the margin
    expect(t.at(-1)! - t[0]!).toBeGreaterThan(600);
  });

  it('the circuit: opens counted once per opening, each state change logged', async () => {
    const { client, metrics, logs } = newClient({ CANARY_BREAKER_CONSECUTIVE_FAILURES: '2', CANARY_BREAKER_HALF_OPEN_AFTER_MS: '300' });
    const { json, tag } = oneTag();
    sim.state.setFaults({ serverError: { methods: ['storeData'] } });
    for (let i = 0; i < 2; i++) await expect(client.storeProperties(json, [tag])).rejects.toThrow(TransientCanaryError);
    expect((await metrics.circuitOpens.get()).values[0]!.value).toBe(1);
    sim.state.clearFaults();
    await sleep(400);
    await client.storeProperties(json, [tag]); // the half-open probe, which closes it
    expect((await metrics.circuitOpens.get()).values[0]!.value).toBe(1);
    expect((await metrics.circuitState.get()).values[0]!.value).toBe(0);
    expect(logs.filter((l) => typeof l.circuit === 'number').map((l) => [l.circuit, l.msg])).toEqual([2, 1, 0].map((s) =>
      [s, 'Canary circuit breaker changed state (0 closed, 1 half-open, 2 open)']));
  });

  it('concurrent calls go out concurrently (CANARY_MAX_IN_FLIGHT connections and more)', async () => {
    const { client } = newClient({ CANARY_MAX_IN_FLIGHT: '3', CANARY_REQUEST_TIMEOUT_MS: '20000' });
    const warm = oneTag();
    await client.storeProperties(warm.json, [warm.tag]);
    const from = lastSeq();
    sim.state.setFaults({ latency: { ms: 1000, methods: ['storeData'] } });
    await Promise.all([oneTag(), oneTag(), oneTag()].map(({ json, tag }) => client.storeProperties(json, [tag])));
    const stores = since(from, 'storeData');
    expect(stores).toHaveLength(3);
    // all three arrived before the first was answered
    expect(Math.max(...stores.map((r) => r.t)) - Math.min(...stores.map((r) => r.t))).toBeLessThan(1000);
  });
});

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/**
 * A server that answers each API method with what the test scripted (status and raw body) and records the requests,
 * with a client pointed at it (both closed after the test).
 */
async function scripted(answers: Record<string, { status: number; body: string }>): Promise<TestClient & { seen: { method: string; contentType: string | undefined }[] }> {
  const seen: { method: string; contentType: string | undefined }[] = [];
  const server = createServer((req, res) => {
    const method = req.url!.replace(/^\/api\/v1\//, '');
    seen.push({ method, contentType: req.headers['content-type'] });
    req.resume();
    req.on('end', () => {
      const a = answers[method] ?? { status: 404, body: '{}' };
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { ...newClient({ CANARY_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }), seen };
}

describe('answers off the contract (a scripted server)', () => {
  const GOOD_SESSION = { status: 200, body: JSON.stringify({ statusCode: 'Good', errors: [], sessionToken: 'abc' }) };
  const cases: [string, { status: number; body: string }, typeof PermanentCanaryError | typeof TransientCanaryError, string, string][] = [
    ['HTTP 404 with an envelope', { status: 404, body: JSON.stringify({ statusCode: 'Good', errors: [] }) }, PermanentCanaryError, 'Canary storeData answered HTTP 404 without a status envelope', 'http_404'],
    ['HTTP 200 with an array', { status: 200, body: '[]' }, PermanentCanaryError, 'Canary storeData answered HTTP 200 without a status envelope', 'http_200'],
    ['HTTP 200 with null', { status: 200, body: 'null' }, PermanentCanaryError, 'Canary storeData answered HTTP 200 without a status envelope', 'http_200'],
    ['HTTP 200 with a string', { status: 200, body: '"Good"' }, PermanentCanaryError, 'Canary storeData answered HTTP 200 without a status envelope', 'http_200'],
    ['HTTP 200 with a numeric statusCode', { status: 200, body: '{"statusCode":1,"errors":[]}' }, PermanentCanaryError, 'Canary storeData answered HTTP 200 without a status envelope', 'http_200'],
    ['HTTP 200 whose body is not JSON', { status: 200, body: '<html>' }, TransientCanaryError, 'Canary storeData answered HTTP 200 with a body that is not JSON: ', 'bad_body'],
  ];
  for (const [what, answer, type, message, outcome] of cases) {
    it(`${what}: ${type.name}`, async () => {
      const { client, metrics, seen } = await scripted({ getSessionToken: GOOD_SESSION, storeData: answer });
      const err = await failureOf(client.storeProperties('{}', []));
      expect(err).toBeInstanceOf(type);
      expect((err as Error).message.startsWith(message)).toBe(true);
      expect(await series(metrics.requests, { method: 'storeData', outcome })).toBe(1);
      expect(seen.map((r) => r.method)).toEqual(['getSessionToken', 'storeData']);
      expect(seen.every((r) => r.contentType === 'application/json')).toBe(true);
    });
  }

  it('an envelope without errors reads as no errors: a statusCode other than Good still says what it was', async () => {
    const { client } = await scripted({ getSessionToken: GOOD_SESSION, storeData: { status: 200, body: '{"statusCode":"Warning"}' } });
    expect(await client.storeProperties('{}', ['A.B'])).toEqual({ tagErrors: new Map(), otherErrors: ['statusCode Warning'] });
  });

  it('getSessionToken answering a status other than Good, with a token: PermanentCanaryError with the status and its errors', async () => {
    const { client, seen } = await scripted({ getSessionToken: { status: 200, body: JSON.stringify({ statusCode: 'Warning', errors: ['one', 'two'], sessionToken: 'abc' }) } });
    const err = await failureOf(client.storeProperties('{}', []));
    expect(err).toBeInstanceOf(PermanentCanaryError);
    expect((err as Error).message).toBe('Canary refused getSessionToken (Warning): one; two; check CANARY_API_TOKEN, CANARY_HISTORIANS and CANARY_CLIENT_ID');
    expect(seen.map((r) => r.method)).toEqual(['getSessionToken']);
  });

  for (const [errors, message] of [[['a', 'b'], 'Canary refused storeData: a; b'], [[], 'Canary refused storeData: statusCode Error']] as const) {
    it(`statusCode Error with errors ${JSON.stringify(errors)}: PermanentCanaryError "${message}"`, async () => {
      const { client } = await scripted({ getSessionToken: GOOD_SESSION, storeData: { status: 200, body: JSON.stringify({ statusCode: 'Error', errors }) } });
      const err = await failureOf(client.storeProperties('{}', []));
      expect(err).toBeInstanceOf(PermanentCanaryError);
      expect((err as Error).message).toBe(message);
    });
  }

  for (const [what, body] of [['no sessionToken', { statusCode: 'Good', errors: [] }], ['an empty sessionToken', { statusCode: 'Good', errors: [], sessionToken: '' }],
    ['a numeric sessionToken', { statusCode: 'Good', errors: [], sessionToken: 7 }]] as const) {
    it(`getSessionToken answering Good with ${what}: PermanentCanaryError, nothing stored`, async () => {
      const { client, seen } = await scripted({ getSessionToken: { status: 200, body: JSON.stringify(body) } });
      const err = await failureOf(client.storeProperties('{}', []));
      expect(err).toBeInstanceOf(PermanentCanaryError);
      expect((err as Error).message).toBe('Canary refused getSessionToken (Good): ; check CANARY_API_TOKEN, CANARY_HISTORIANS and CANARY_CLIENT_ID');
      expect(seen.map((r) => r.method)).toEqual(['getSessionToken']);
    });
  }
});
