import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { startCanarySim, type CanarySim } from '../../src/canary-sim/index.ts';
import { call, makeSelfSignedCert, TS } from './helpers.ts';

let sim: CanarySim;
let tls: Awaited<ReturnType<typeof makeSelfSignedCert>>;
let trusting: Agent;
beforeAll(async () => {
  tls = await makeSelfSignedCert();
  sim = await startCanarySim({ tls: { cert: tls.cert, key: tls.key } });
  trusting = new Agent({ connect: { ca: tls.cert } });
});
afterAll(async () => {
  await trusting.close();
  await sim.close();
  await rm(tls.dir, { recursive: true, force: true });
});

describe('HTTPS', () => {
  it('serves the API over TLS with the given certificate', async () => {
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await call(sim.url, 'version', {}, { dispatcher: trusting });
    expect(r.json.statusCode).toBe('Good');
    const viaName = await call(sim.url.replace('127.0.0.1', 'localhost'), 'version', {}, { dispatcher: trusting });
    expect(viaName.status).toBe(200);
  });

  it('is real TLS: a client that does not trust the certificate refuses it', async () => {
    const strict = new Agent();
    try {
      await expect(call(sim.url, 'version', {}, { dispatcher: strict })).rejects.toMatchObject({
        code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY/) as unknown,
      });
    } finally {
      await strict.close();
    }
  });

  it('a full session works over HTTPS, and a reset fault still drops the connection', async () => {
    const tokenResult = await call(sim.url, 'getSessionToken', { historians: ['h'], clientId: 'tls' }, { dispatcher: trusting });
    const sessionToken = tokenResult.json.sessionToken as string;
    const stored = await call(
      sim.url,
      'storeData',
      { sessionToken, properties: { 'Secil.Tls.Tag': [['Eng Units', TS, 'kPa']] } },
      { dispatcher: trusting },
    );
    expect(stored.json.statusCode).toBe('Good');
    expect(sim.state.properties('Secil.Tls.Tag')?.['Eng Units']?.value).toBe('kPa');

    sim.state.setFaults({ reset: { count: 1 } });
    await expect(call(sim.url, 'version', {}, { dispatcher: trusting })).rejects.toMatchObject({
      code: expect.stringMatching(/ECONNRESET|UND_ERR_SOCKET/) as unknown,
    });
    expect((await call(sim.url, 'version', {}, { dispatcher: trusting })).status).toBe(200);
  });

  it('plain HTTP to the HTTPS port gets no API answer: HTTP 400 saying the port speaks HTTPS only', async () => {
    const before = sim.state.requests().length;
    const plain = await call(sim.url.replace('https:', 'http:'), 'version');
    expect(plain).toMatchObject({ status: 400, json: { statusCode: 'Error', errors: ['this port speaks HTTPS only: plain HTTP was sent to it; use https://'] } });
    expect(sim.state.requests()).toHaveLength(before);
    // and the port still serves HTTPS
    expect((await call(sim.url, 'version', {}, { dispatcher: trusting })).status).toBe(200);
  });
});
