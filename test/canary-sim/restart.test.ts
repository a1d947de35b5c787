// A Canary restart (startCanarySim's `state`): while closed, connections are refused; started again on the same
// port, it keeps what it stored and ends every session, as Canary does (data on disk, sessions in memory).
import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startCanarySim, type CanarySim } from '../../src/canary-sim/index.ts';
import { call, openSession, TS } from './helpers.ts';

const sims: CanarySim[] = [];
/** The error code of a new TCP connection to the port, or 'connected'. */
const connectTo = (port: number) => new Promise<string>((resolve) => {
  const socket = connect(port, '127.0.0.1', () => {
    socket.destroy();
    resolve('connected');
  });
  socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
});
afterAll(async () => {
  for (const sim of sims) await sim.close();
});

describe('canary-sim restarted with its state', () => {
  it('refuses connections while closed; then serves the stored tags again and refuses the old session token', async () => {
    const first = await startCanarySim({ port: 0, sessionIdleMs: 60_000 });
    sims.push(first);
    const token = await openSession(first);
    const stored = await call(first.url, 'storeData', { sessionToken: token, properties: { 'Secil.Kiln.T': [['Eng Units', TS, 'degC', 192]] } });
    expect(stored.json.statusCode).toBe('Good');
    await first.close();
    expect(await connectTo(first.port)).toBe('ECONNREFUSED');

    const again = await startCanarySim({ port: first.port, state: first.state });
    sims.push(again);
    expect(again.url).toBe(first.url);
    expect(again.state.properties('Secil.Kiln.T')?.['Eng Units']?.value).toBe('degC');
    expect(again.state.sessionList()).toEqual([]);
    const refused = await call(again.url, 'storeData', { sessionToken: token, properties: { 'Secil.Kiln.T': [['Eng Units', TS, 'K', 192]] } });
    expect(refused.json.statusCode).toBe('BadSessionToken');
    const renewed = await openSession(again);
    expect((await call(again.url, 'keepAlive', { sessionToken: renewed })).json.statusCode).toBe('Good');
    expect(again.state.properties('Secil.Kiln.T')?.['Eng Units']?.value).toBe('degC');
    // the request log goes on across the restart
    expect(again.state.requests().map((r) => r.method)).toEqual(['getSessionToken', 'storeData', 'storeData', 'getSessionToken', 'keepAlive']);
  });

  it('refuses the options that would build a new state', async () => {
    const sim = await startCanarySim({ port: 0 });
    sims.push(sim);
    await sim.close();
    await expect(startCanarySim({ port: sim.port, state: sim.state, apiToken: 'x', datasets: ['A'] }))
      .rejects.toThrow('canary-sim: apiToken, datasets cannot be given with state');
  });
});
