import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { startCanarySim, type CanarySim, type RequestLogEntry } from '../../src/canary-sim/index.ts';
import { call, getJson } from './helpers.ts';

/** Brute force over the log: the most arrivals in any window (t - 1000 ms, t]. */
function maxInAnyWindow(entries: RequestLogEntry[]): number {
  const times = entries.map((e) => e.t);
  let max = 0;
  for (const t of times) max = Math.max(max, times.filter((u) => u > t - 1000 && u <= t).length);
  return max;
}

/**
 * Sends n `version` requests at once: opens n connections first, then writes every request in one synchronous
 * loop, so they arrive together however busy the machine is (a pooled client would pace them by its responses).
 */
async function burst(sim: CanarySim, n: number): Promise<{ status: number; retryAfter: string | undefined }[]> {
  const { hostname, port } = new URL(sim.url);
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(Number(port), hostname, () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
  const answers = sockets.map(
    (socket) =>
      new Promise<string>((resolve, reject) => {
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => (text += d));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      }),
  );
  const request = 'POST /api/v1/version HTTP/1.1\r\nHost: canary\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}';
  for (const socket of sockets) socket.write(request);
  return (await Promise.all(answers)).map((text) => ({
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]),
    retryAfter: /^retry-after: *(\S+)/im.exec(text)?.[1],
  }));
}

/** For each entry, the entries accepted (not refused by the cap) in its trailing second, itself excluded. */
function acceptedBefore(log: RequestLogEntry[], entry: RequestLogEntry): number {
  return log.filter((e) => e.seq < entry.seq && e.t > entry.t - 1000 && !e.faults.includes('rateLimit')).length;
}

let sim: CanarySim | undefined;
afterEach(() => sim?.close());

describe('request-rate cap', () => {
  it('enforced: 700 requests at a cap of 500 → at most 500 accepted in any one-second window, the rest 429', async () => {
    sim = await startCanarySim({ rateLimitRps: 500, enforceRateLimit: true });
    const results = await burst(sim, 700);
    const log = sim.state.requests();
    expect(log).toHaveLength(700);

    const ok = results.filter((r) => r.status === 200).length;
    const limited = results.filter((r) => r.status === 429);
    expect(ok + limited.length).toBe(700);
    expect(limited.length).toBeGreaterThan(0);
    const refused = log.filter((e) => e.faults.includes('rateLimit'));
    expect(refused).toHaveLength(limited.length);
    // Exactly the cap's rule, checked against the log whatever the timing: a request was refused if and only if
    // 500 requests had already been accepted in the second before it arrived.
    for (const e of log) expect(e.faults.includes('rateLimit')).toBe(acceptedBefore(log, e) >= 500);
    expect(ok).toBeGreaterThanOrEqual(500); // exactly 500 when the burst fits in one second, as it normally does
    expect(limited.every((r) => r.retryAfter === '1')).toBe(true);

    const accepted = log.filter((e) => !e.faults.includes('rateLimit'));
    expect(maxInAnyWindow(accepted)).toBeLessThanOrEqual(500);
    const { json: stats } = await getJson(sim.url, '/sim/stats');
    expect(stats.rate).toEqual({
      limit: 500,
      enforced: true,
      windowMs: 1000,
      maxReceivedInAnyWindow: maxInAnyWindow(log), // every request counts as received, refused or not
      maxAcceptedInAnyWindow: maxInAnyWindow(accepted),
      rejected: limited.length,
    });
    expect(stats.requests).toMatchObject({ received: 700, byMethod: { version: { Good: ok, 'HTTP 429': limited.length } } });
  });

  it('not enforced (the default): everything is served and the maximum is still reported', async () => {
    sim = await startCanarySim({ rateLimitRps: 500 });
    const results = await burst(sim, 600);
    expect(results.every((r) => r.status === 200)).toBe(true);
    const log = sim.state.requests();
    expect(sim.state.stats().rate).toMatchObject({
      enforced: false,
      maxReceivedInAnyWindow: maxInAnyWindow(log),
      maxAcceptedInAnyWindow: maxInAnyWindow(log),
      rejected: 0,
    });
    expect(maxInAnyWindow(log)).toBeGreaterThan(500);
  });

  it('the window slides: after a second of quiet, requests are accepted again', async () => {
    sim = await startCanarySim({ rateLimitRps: 3, enforceRateLimit: true });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(sim.url, 'version')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    await sleep(1050);
    expect((await call(sim.url, 'version')).status).toBe(200);
  });

  it('/sim routes do not count as requests', async () => {
    sim = await startCanarySim();
    await getJson(sim.url, '/sim/stats');
    await call(sim.url, 'version');
    expect(sim.state.stats().requests.received).toBe(1);
  });
});
