import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startCanarySim, type CanarySim } from '../../src/canary-sim/index.ts';
import { call, getJson, openSession, sleep, TS } from './helpers.ts';

let sim: CanarySim;
beforeAll(async () => {
  sim = await startCanarySim({ apiToken: 'secret-api-token' });
});
afterAll(() => sim.close());
beforeEach(() => sim.state.reset());

const withToken = { apiToken: 'secret-api-token' };

describe('getSessionToken', () => {
  it('returns a session token in the Good envelope', async () => {
    const { status, json } = await call(sim.url, 'getSessionToken', { ...withToken, historians: ['canary01:55291'], clientId: 'uns-meta' });
    expect(status).toBe(200);
    expect(json).toMatchObject({ statusCode: 'Good', errors: [] });
    expect(typeof json.sessionToken).toBe('string');
    expect(sim.state.sessionList()).toMatchObject([{ clientId: 'uns-meta', historians: ['canary01:55291'] }]);
  });

  it.each([
    [{ clientId: 'x' }, /historians must be a non-empty array/],
    [{ historians: [], clientId: 'x' }, /historians must be a non-empty array/],
    [{ historians: [''], clientId: 'x' }, /historians must be a non-empty array/],
    [{ historians: ['h'] }, /clientId must be a non-empty string/],
    [{ historians: ['h'], clientId: '  ' }, /clientId must be a non-empty string/],
    [{ historians: ['h'], clientId: 'x', settings: { clientTimeout: -5 } }, /clientTimeout must be a positive integer/],
    [{ historians: ['h'], clientId: 'x', settings: { autoCreateDatasets: 'yes' } }, /autoCreateDatasets must be true or false/],
  ])('refuses %j with HTTP 200 and statusCode Error', async (body, message) => {
    const { status, json } = await call(sim.url, 'getSessionToken', { ...withToken, ...body });
    expect(status).toBe(200);
    expect(json.statusCode).toBe('Error');
    expect((json.errors as string[])[0]).toMatch(message);
    expect(sim.state.sessionList()).toHaveLength(0);
  });

  it('requires the configured apiToken and never echoes it', async () => {
    for (const apiToken of [undefined, 'wrong']) {
      const { json } = await call(sim.url, 'getSessionToken', { apiToken, historians: ['h'], clientId: 'x' });
      expect(json.statusCode).toBe('Error');
      expect((json.errors as string[])[0]).toMatch(/apiToken is missing or not valid/);
      expect(JSON.stringify(json)).not.toContain('secret-api-token');
    }
  });

  it('records the settings, with defaults for those not given', async () => {
    await openSession(sim, { clientTimeout: 5000, autoWriteNoData: false, customThing: 1 }, withToken);
    expect(sim.state.sessionList()[0]?.settings).toEqual({
      clientTimeout: 5000,
      autoCreateDatasets: false,
      autoWriteNoData: false,
      extendData: true,
      insertReplaceData: false,
      externalPropertyStorage: false,
      other: { customThing: 1 },
    });
  });
});

describe('session lifecycle', () => {
  it('keepAlive answers Good for a live token and BadSessionToken for an unknown one', async () => {
    const token = await openSession(sim, {}, withToken);
    expect((await call(sim.url, 'keepAlive', { sessionToken: token })).json).toEqual({ statusCode: 'Good', errors: [] });
    const unknown = await call(sim.url, 'keepAlive', { sessionToken: 'not-a-token' });
    expect(unknown.status).toBe(200);
    expect(unknown.json.statusCode).toBe('BadSessionToken');
    expect((await call(sim.url, 'keepAlive', {})).json.statusCode).toBe('BadSessionToken');
  });

  it('revokeSessionToken closes the session; later calls get BadSessionToken', async () => {
    const token = await openSession(sim, {}, withToken);
    expect((await call(sim.url, 'revokeSessionToken', { sessionToken: token })).json.statusCode).toBe('Good');
    expect((await call(sim.url, 'storeData', { sessionToken: token, properties: {} })).json.statusCode).toBe('BadSessionToken');
    expect((await call(sim.url, 'revokeSessionToken', { sessionToken: token })).json.statusCode).toBe('BadSessionToken');
    expect(sim.state.stats().sessions).toMatchObject({ open: 0, created: 1, revoked: 1 });
  });

  it('expires a session after clientTimeout without calls', async () => {
    const token = await openSession(sim, { clientTimeout: 150 }, withToken);
    await sleep(300);
    expect((await call(sim.url, 'keepAlive', { sessionToken: token })).json.statusCode).toBe('BadSessionToken');
    expect(sim.state.stats().sessions.expired).toBe(1);
  });

  it('any call resets the idle timer', async () => {
    const token = await openSession(sim, { clientTimeout: 1000 }, withToken);
    for (let i = 0; i < 8; i++) {
      // 1.6 s in all, far past 1 s, but never 1 s idle (an 800 ms stall of a loaded machine still passes)
      await sleep(200);
      const method = i % 2 === 0 ? 'keepAlive' : 'storeData';
      expect((await call(sim.url, method, { sessionToken: token })).json.statusCode).toBe('Good');
    }
  });

  it('uses the server default idle timeout when the session sets none', async () => {
    const short = await startCanarySim({ sessionIdleMs: 100 });
    try {
      const token = await openSession(short);
      await sleep(250);
      expect((await call(short.url, 'keepAlive', { sessionToken: token })).json.statusCode).toBe('BadSessionToken');
    } finally {
      await short.close();
    }
  });

  it('updateSettings changes the settings of a live session', async () => {
    const token = await openSession(sim, {}, withToken);
    const r = await call(sim.url, 'updateSettings', { sessionToken: token, settings: { clientTimeout: 100, autoCreateDatasets: true } });
    expect(r.json.statusCode).toBe('Good');
    expect(sim.state.sessionList()[0]?.settings).toMatchObject({ clientTimeout: 100, autoCreateDatasets: true });
    const missing = await call(sim.url, 'updateSettings', { sessionToken: token });
    expect(missing.json.statusCode).toBe('Error');
    await sleep(250);
    expect((await call(sim.url, 'keepAlive', { sessionToken: token })).json.statusCode).toBe('BadSessionToken');
  });

  it('autoWriteNoData (default true) writes a "No Data" TVQ to the tags a session wrote when it closes', async () => {
    const defaults = await openSession(sim, {}, withToken);
    const metadataOnly = await openSession(sim, { autoWriteNoData: false }, withToken);
    const props = (tag: string) => ({ [tag]: [['Description', TS, 'x']] });
    await call(sim.url, 'storeData', { sessionToken: defaults, properties: props('Secil.A') });
    await call(sim.url, 'storeData', { sessionToken: metadataOnly, properties: props('Secil.B') });
    await call(sim.url, 'revokeSessionToken', { sessionToken: defaults });
    await call(sim.url, 'revokeSessionToken', { sessionToken: metadataOnly });
    expect(sim.state.tag('Secil.A')).toMatchObject({ tvqCount: 1, latestTvq: { value: null, quality: 32768 } });
    expect(sim.state.tag('Secil.B')).toMatchObject({ tvqCount: 0, latestTvq: null });
  });
});

describe('other methods', () => {
  it('getDatasets lists the datasets, including auto-created ones', async () => {
    const r = await call(sim.url, 'getDatasets', { historian: 'localhost' });
    expect(r.json).toEqual({ statusCode: 'Good', errors: [], datasets: ['Secil', 'Test'] });
    const token = await openSession(sim, { autoCreateDatasets: true }, withToken);
    await call(sim.url, 'storeData', { sessionToken: token, properties: { 'Secil2.A': [['Description', TS, 'x']] } });
    expect((await call(sim.url, 'getDatasets', { historian: 'localhost', ...withToken })).json.datasets).toEqual(['Secil', 'Secil2', 'Test']);
    expect((await call(sim.url, 'getDatasets', {})).json.statusCode).toBe('Error');
    expect((await call(sim.url, 'getDatasets', { historian: 'h', apiToken: 'wrong' })).json.statusCode).toBe('Error');
  });

  it('version answers with an empty body too', async () => {
    const r = await call(sim.url, 'version', undefined, { raw: '' });
    expect(r.json).toMatchObject({ statusCode: 'Good', errors: [] });
    expect(r.json.version).toMatch(/canary-sim/);
  });
});

describe('leniency and transport', () => {
  it('accepts method names and keys in any casing, JSON without Content-Type, and a UTF-8 BOM', async () => {
    const r = await call(sim.url, 'GetSessionToken', { ApiToken: 'secret-api-token', Historians: ['h'], CLIENTID: 'x' });
    expect(r.json.statusCode).toBe('Good');
    const token = r.json.sessionToken as string;
    expect((await call(sim.url, 'KEEPALIVE', { SessionToken: token })).json.statusCode).toBe('Good');
    const bom = await call(sim.url, 'keepalive', undefined, { raw: `\uFEFF${JSON.stringify({ sessionToken: token })}` });
    expect(bom.json.statusCode).toBe('Good');
    const typed = await call(sim.url, 'keepAlive', { sessionToken: token }, { headers: { 'content-type': 'application/json' } });
    expect(typed.json.statusCode).toBe('Good');
  });

  it('answers invalid JSON and non-object bodies with statusCode Error', async () => {
    const bad = await call(sim.url, 'keepAlive', undefined, { raw: '{"sessionToken":' });
    expect(bad.status).toBe(200);
    expect(bad.json.statusCode).toBe('Error');
    expect((bad.json.errors as string[])[0]).toMatch(/not valid JSON/);
    expect((await call(sim.url, 'keepAlive', [1, 2])).json.statusCode).toBe('Error');
  });

  it('answers an unknown method with 404 and a wrong verb with 405, in the envelope', async () => {
    const unknown = await call(sim.url, 'storeTagData', {});
    expect(unknown.status).toBe(404);
    expect((unknown.json.errors as string[])[0]).toMatch(/not a Canary Write API method; use one of getSessionToken/);
    const get = await request(`${sim.url}/api/v1/version`);
    expect(get.statusCode).toBe(405);
    expect(get.headers.allow).toBe('POST');
    await get.body.dump();
    expect((await getJson(sim.url, '/api/v2/storeTagData', { method: 'POST', body: {} })).status).toBe(404);
  });

  it('refuses bodies over maxBodyBytes with 413', async () => {
    const small = await startCanarySim({ maxBodyBytes: 100 });
    try {
      const body = { padding: 'x'.repeat(200) };
      const r = await call(small.url, 'version', body);
      expect(r.status).toBe(413);
      expect(small.state.requests()[0]).toMatchObject({ outcome: 'HTTP 413', bodyBytes: JSON.stringify(body).length });
    } finally {
      await small.close();
    }
  });
});
