// `uns-meta canary-sim` as ops run it: a child process, JSON logs on stdout, SIGTERM/SIGINT → exit 0.
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { spawnCli } from '../support/cli.ts';
import { call, getJson, makeSelfSignedCert } from './helpers.ts';

interface Running {
  child: ChildProcess;
  url: string;
  lines: Record<string, unknown>[];
  output: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function runCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawnCli(['canary-sim', ...args], { LOG_LEVEL: 'info', CANARY_SIM_API_TOKEN: '', ...env });
  children.push(child);
  return { child, output: child.output, exited: child.exited };
}

/** Starts the simulator and waits for its {"msg":"listening","url":...} line. */
async function startCli(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const run = runCli(['--port', '0', ...args], env);
  const lines: Record<string, unknown>[] = [];
  const reader = createInterface({ input: run.child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line within 10 s:\n${run.output()}`)), 10_000);
    reader.on('line', (line) => {
      const json = JSON.parse(line) as Record<string, unknown>;
      lines.push(json);
      if (json.msg === 'listening' && typeof json.url === 'string') {
        clearTimeout(timer);
        resolve(json.url);
      }
    });
    void run.exited.then((code) => reject(new Error(`exited ${code} before listening:\n${run.output()}`)));
  });
  return { ...run, url, lines };
}

describe('uns-meta canary-sim', () => {
  it('--help prints the options and exits 0', async () => {
    const run = runCli(['--help']);
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/--enforce-rate-limit/);
    expect(run.output()).toMatch(/CANARY_SIM_API_TOKEN/);
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--port', 'eighty'], /--port must be an integer >= 0/],
    [['--tls-cert', 'x.pem'], /--tls-cert and --tls-key go together/],
    [['--faults', '{"serverError":{"status":200}}'], /--faults: serverError.status must be/],
    [['--log-level', 'loud'], /--log-level must be one of/],
  ])('%j exits 64 with the reason', async (args, message) => {
    const run = runCli(args);
    expect(await run.exited).toBe(64);
    expect(run.output()).toMatch(message);
  });

  it('serves the API, logs JSON lines without tokens, and exits 0 on SIGTERM', async () => {
    const sim = await startCli(['--log-level', 'debug', '--datasets', 'Plant,Test'], { CANARY_SIM_API_TOKEN: 'env-secret-token' });
    expect(sim.lines[0]).toMatchObject({ level: 30, msg: 'listening', datasets: ['Plant', 'Test'], apiTokenRequired: true });

    const refused = await call(sim.url, 'getSessionToken', { historians: ['h'], clientId: 'cli' });
    expect(refused.json.statusCode).toBe('Error');
    const session = await call(sim.url, 'getSessionToken', { apiToken: 'env-secret-token', historians: ['h'], clientId: 'cli' });
    const sessionToken = session.json.sessionToken as string;
    const stored = await call(sim.url, 'storeData', {
      sessionToken,
      properties: { 'Plant.Line.Tag': [['Eng Units', '2025-08-26T12:00:00Z', 'm/s']] },
    });
    expect(stored.json.statusCode).toBe('Good');
    expect((await getJson(sim.url, '/sim/tags/Plant.Line.Tag/properties')).json).toMatchObject({
      properties: { 'Eng Units': { value: 'm/s' } },
    });

    sim.child.kill('SIGTERM');
    expect(await sim.exited).toBe(0);
    const lines = sim.output().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.msg === 'request').map((l) => [l.method, l.outcome])).toEqual([
      ['getSessionToken', 'Error'],
      ['getSessionToken', 'Good'],
      ['storeData', 'Good'],
    ]);
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped', signal: 'SIGTERM', received: 3 });
    expect(sim.output()).not.toContain('env-secret-token');
    expect(sim.output()).not.toContain(sessionToken);
  });

  it('exits 0 on SIGINT while a request hangs', async () => {
    const sim = await startCli(['--faults', '{"hang":{}}']);
    const pending = call(sim.url, 'version').catch((err: unknown) => err);
    await sleep(100);
    sim.child.kill('SIGINT');
    expect(await sim.exited).toBe(0);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('serves HTTPS with --tls-cert/--tls-key and enforces --rate-limit', async () => {
    const tls = await makeSelfSignedCert();
    const agent = new Agent({ connect: { ca: tls.cert } });
    try {
      const sim = await startCli(['--tls-cert', tls.certPath, '--tls-key', tls.keyPath, '--rate-limit', '2', '--enforce-rate-limit']);
      expect(sim.url).toMatch(/^https:/);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await call(sim.url, 'version', {}, { dispatcher: agent })).status);
      expect(statuses).toEqual([200, 200, 429]);
      sim.child.kill('SIGTERM');
      expect(await sim.exited).toBe(0);
    } finally {
      await agent.close();
      await rm(tls.dir, { recursive: true, force: true });
    }
  });

  it('exits non-zero with a hint when the port is taken', async () => {
    const first = await startCli([]);
    const port = new URL(first.url).port;
    const second = runCli(['--port', port]);
    expect(await second.exited).toBe(69);
    expect(second.output()).toMatch(/could not start.*is the port free/);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });
});
