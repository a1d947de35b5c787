// The start-up checks of `uns-meta worker`, `uns-meta ingest` and `uns-meta canary` as real processes on real
// databases (docs/deployment.md, "Start-up checks"): a misconfiguration that cannot heal exits 78 with one line
// naming what to fix, and no stack; an unreachable database is waited for with /readyz 503.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { spawnCli as spawn, type CliProcess } from '../support/cli.ts';
import { configFor, createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
let spool: string;
const host = process.env.PGHOST ?? '127.0.0.1';
const port = process.env.PGPORT ?? '5432';
const emptyDb = `uns_meta_t_empty_${process.pid}`;

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(configFor(`postgres://uns_meta_admin@${host}:${port}/postgres`));
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  await admin((c) => c.query(`create database ${emptyDb} owner uns_meta_admin`));
  spool = mkdtempSync(join(tmpdir(), 'uns-meta-startup-'));
});
afterAll(async () => {
  await db.drop();
  await admin((c) => c.query(`drop database if exists ${emptyDb} with (force)`));
  rmSync(spool, { recursive: true, force: true });
});

const children: CliProcess[] = [];
function spawnCli(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(args, env);
  children.push(child);
  return child;
}
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const canaryEnv = { CANARY_URL: 'http://127.0.0.1:9', CANARY_API_TOKEN: 'test-token' };

/** The process's output must be exactly one line: `<prefix>: <text matching want>`. */
async function exitsWithOneLine(child: CliProcess, prefix: string, want: RegExp): Promise<void> {
  expect(await child.exited).toBe(78);
  const lines = child.output().trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^${prefix}: `));
  expect(lines[0]).toMatch(want);
  expect(child.output()).not.toMatch(/\n\s+at /); // no stack trace
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: p } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return p;
}

async function readyz(url: string): Promise<number> {
  return (await fetch(url)).status;
}

async function waitForOutput(child: CliProcess, want: RegExp, ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  while (!want.test(child.output())) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`no ${want} in:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child.output();
}

describe('uns-meta worker at start', () => {
  it('CANARY_URL=htp:/x: one line naming CANARY_URL', async () => {
    const child = spawnCli(['worker'], { ...canaryEnv, CANARY_URL: 'htp:/x', DATABASE_URL: db.url() });
    expect(await child.exited).toBe(78);
    expect(child.output().trimEnd())
      .toBe('uns-meta worker: CANARY_URL: "htp:/x" is not a URL starting with http:// or https://; expected http(s)://host[:port][/path], e.g. https://canary:55293');
  });

  it('no CANARY_API_TOKEN: one line naming CANARY_API_TOKEN', async () => {
    const child = spawnCli(['worker'], { CANARY_URL: 'http://127.0.0.1:9', CANARY_API_TOKEN: '', DATABASE_URL: db.url() });
    expect(await child.exited).toBe(78);
    expect(child.output().trimEnd()).toMatch(/^uns-meta worker: CANARY_API_TOKEN: is not set; expected [^\n]+$/);
  });

  it('a database that does not exist', async () => {
    const child = spawnCli(['worker'], { ...canaryEnv, DATABASE_URL: `postgres://uns_meta_app@${host}:${port}/uns_meta_no_such_db` });
    await exitsWithOneLine(child, 'uns-meta worker', /"uns_meta_no_such_db" does not exist: create it .* DATABASE_URL/);
  });

  it('a database without the schema', async () => {
    const child = spawnCli(['worker'], { ...canaryEnv, DATABASE_URL: `postgres://uns_meta_app@${host}:${port}/${emptyDb}` });
    await exitsWithOneLine(child, 'uns-meta worker', new RegExp(`database "${emptyDb}" has no schema uns_meta: deploy it with \`sqitch deploy --verify\``));
  });

  it('a role without the rights (the analysts\' uns_meta_ro)', async () => {
    const child = spawnCli(['worker'], { ...canaryEnv, DATABASE_URL: db.url('uns_meta_ro') });
    await exitsWithOneLine(child, 'uns-meta worker', /role "uns_meta_ro" may not use schema graphile_worker: connect as uns_meta_app/);
  });

  it('an unreachable database: waits, /readyz 503, stops on SIGTERM', async () => {
    const metricsPort = await freePort();
    const child = spawnCli(['worker'], { ...canaryEnv, DATABASE_URL: `postgres://uns_meta_app@127.0.0.1:${await freePort()}/x`, METRICS_PORT: String(metricsPort) });
    try {
      await waitForOutput(child, /database unreachable \(ECONNREFUSED\)[^\n]*retrying/);
      expect(await readyz(`http://127.0.0.1:${metricsPort}/readyz`)).toBe(503);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
      await child.exited;
    }
  });
});

describe('uns-meta canary at start', () => {
  it('resync on an undeployed database: one line, no stack', async () => {
    const child = spawnCli(['canary', 'resync', '--dry-run'], { ...canaryEnv, DATABASE_URL: `postgres://uns_meta_app@${host}:${port}/${emptyDb}` });
    await exitsWithOneLine(child, 'uns-meta canary resync', /has no schema uns_meta/);
  });
});

describe('uns-meta ingest at start', () => {
  const ingestEnv = () => ({ MQTT_URL: 'mqtt://127.0.0.1:9', INGEST_SPOOL_DIR: spool, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' });

  it('a role that may not run ingest_birth', async () => {
    const child = spawnCli(['ingest'], { ...ingestEnv(), DATABASE_URL: db.url('uns_meta_ro') });
    // Its JSON log lines (the start line) go to stdout; the one line for the operator to stderr.
    expect(await child.exited).toBe(78);
    expect(child.output()).toMatch(/^uns-meta ingest: role "uns_meta_ro" may not execute uns_meta\.ingest_birth\(jsonb\): connect as uns_meta_app/m);
    expect(child.output()).not.toMatch(/\n\s+at /);
  });

  it('a database that does not exist', async () => {
    const child = spawnCli(['ingest'], { ...ingestEnv(), DATABASE_URL: `postgres://uns_meta_app@${host}:${port}/uns_meta_no_such_db` });
    expect(await child.exited).toBe(78);
    expect(child.output()).toMatch(/^uns-meta ingest: database "uns_meta_no_such_db" does not exist: create it/m);
    expect(child.output()).not.toMatch(/\n\s+at /);
  });

  it('an unreachable database: runs, says so, /readyz 503', async () => {
    const child = spawnCli(['ingest'], { ...ingestEnv(), DATABASE_URL: `postgres://uns_meta_app@127.0.0.1:${await freePort()}/x` });
    try {
      const out = await waitForOutput(child, /"event":"http\.listening","port":\d+/);
      expect(out).toMatch(/"event":"db\.unreachable"[^\n]*database unreachable \(ECONNREFUSED\)[^\n]*spooled until it answers/);
      const metricsPort = /"event":"http\.listening","port":(\d+)/.exec(out)?.[1];
      expect(await readyz(`http://127.0.0.1:${metricsPort}/readyz`)).toBe(503);
    } finally {
      child.kill('SIGTERM');
      await child.exited;
    }
  });
});
