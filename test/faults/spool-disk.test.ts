// Fault: the disk under the spool full, then read-only, while the database is unreachable (a TCP proxy cut, so
// births must go to the spool). The spool is a 256 KiB tmpfs mounted for this test (unmounted in teardown, even on
// failure): filled to the last byte for "full", remounted read-only for "read-only". The ingestor says why on
// each refused write (`spool.write_failed`), counts it, keeps the births in memory and stays alive; once the
// database is back every birth is applied in order, none dead-lettered, and the worker leaves the Canary simulator
// equal to PostgreSQL.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CanarySim, startCanarySim } from '../../src/canary-sim/index.ts';
import type { RunningWorker } from '../../src/worker/index.ts';
import { appliedOrder, numberedBirth } from '../ingest/support/births.ts';
import { useIngestEnvironment } from '../ingest/support/environment.ts';
import { type RunningIngestor, startTestIngestor, subscribed, waitFor } from '../ingest/support/ingestor.ts';
import { allInSync, canaryProps, parity, setDebounce, startTestWorker } from '../worker/helpers.ts';

const env = useIngestEnvironment({ proxy: true });
const DEVICES = 4;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

let mountPoint: string;
let mounted = false;
let sim: CanarySim;
let ing: RunningIngestor | undefined;
let worker: RunningWorker | undefined;

beforeAll(async () => {
  mountPoint = mkdtempSync(join(tmpdir(), 'uns-meta-spool-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=700', 'tmpfs', mountPoint]);
  mounted = true;
  sim = await startCanarySim({ port: 0 });
  await setDebounce(env.db, '0 seconds');
});

afterAll(async () => {
  await worker?.stop().catch(() => undefined);
  await ing?.stop().catch(() => undefined);
  await sim?.close();
  if (mounted) execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

const metric = async (name: string) => {
  const text = await (await fetch(`http://127.0.0.1:${ing?.metricsPort}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
};

describe('the disk under the spool', () => {
  it('full, then read-only, while the database is down: a clear error, a metric, the process alive, no birth lost', { timeout: 90_000 }, async () => {
    const spoolDir = join(mountPoint, 'spool');
    mkdirSync(spoolDir);
    ing = await startTestIngestor({ MQTT_URL: env.broker.url, DATABASE_URL: env.viaProxy(), INGEST_SPOOL_DIR: spoolDir, LOG_LEVEL: 'info' });
    await subscribed(ing);
    const errors = () => ing?.records().filter((r) => r.event === 'spool.write_failed') ?? [];
    let k = 0;
    const round = async () => {
      for (const d of range(DEVICES)) await env.pub.publishAsync(`spBv1.0/Secil/DBIRTH/Disk/D${d}`, numberedBirth(k));
      k++;
    };
    await round(); // k = 0 goes straight to the database

    // Full: every byte of the tmpfs taken, then the database cut.
    try {
      writeFileSync(join(mountPoint, 'fill'), Buffer.alloc(256 * 1024));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    await env.proxy.cut();
    for (let i = 0; i < 3; i++) await round();
    await waitFor('refused spool writes', () => errors().some((r) => String(r.err).includes('ENOSPC')), 30_000);
    const full = errors().find((r) => String(r.err).includes('ENOSPC'));
    expect(full?.msg).toMatch(/^cannot write to the spool .*\/spool: ENOSPC: no space left on device.*; keeping the birth in memory \(free or fix INGEST_SPOOL_DIR\)$/);
    expect(await metric('uns_meta_ingest_spool_write_failures_total')).toBeGreaterThanOrEqual(1);
    expect(await metric('uns_meta_ingest_spool_held')).toBeGreaterThan(0);
    expect(readdirSync(spoolDir)).toEqual([]); // no partial file left behind
    expect((await fetch(`http://127.0.0.1:${ing.metricsPort}/healthz`)).status).toBe(200);

    // Read-only: space again, but the file system refuses writes.
    rmSync(join(mountPoint, 'fill'));
    execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
    const before = errors().length;
    for (let i = 0; i < 3; i++) await round();
    await waitFor('read-only refusals', () => errors().slice(before).some((r) => String(r.err).includes('EROFS')), 30_000);
    expect((await fetch(`http://127.0.0.1:${ing.metricsPort}/healthz`)).status).toBe(200);

    // Disk writable and database back: everything applied, in order, nothing left anywhere.
    execFileSync('mount', ['-o', 'remount,rw', mountPoint]);
    await env.proxy.restore();
    await sleep(100);
    await round();
    const rounds = k;
    await waitFor('every birth applied', async () => {
      for (const d of range(DEVICES)) if ((await appliedOrder(env.admin(), `Secil/Disk/D${d}`)).length < rounds) return false;
      return true;
    }, 60_000);
    for (const d of range(DEVICES)) expect(await appliedOrder(env.admin(), `Secil/Disk/D${d}`)).toEqual(range(rounds));
    await ing.pipeline.drained();
    expect(readdirSync(spoolDir)).toEqual([]);
    expect(await metric('uns_meta_ingest_spool_held')).toBe(0);
    expect(await metric('uns_meta_ingest_births_ingested_total')).toBe(DEVICES * rounds);
    const { rows } = await env.admin().query<{ n: number }>('select count(*)::int as n from uns_meta.dead_letters');
    expect(rows[0]?.n).toBe(0);

    // Canary = PostgreSQL.
    const workerLines: string[] = [];
    worker = await startTestWorker(sim, env.db, {}, pino({ level: 'warn' }, { write: (l: string) => void workerLines.push(l) }));
    await waitFor('Canary in sync', () => allInSync(env.db), 20_000).catch(async (err: unknown) => {
      const statuses = (await parity(env.db)).map((r) => r.status).sort().join(' ');
      throw new Error(`${(err as Error).message}; parity: ${statuses}; worker's last lines: ${workerLines.slice(-3).join(' ')}`);
    });
    const synced = await parity(env.db);
    expect(synced).toHaveLength(DEVICES);
    for (const r of synced) expect(canaryProps(sim, r.canary_tag ?? '')).toMatchObject({ n: rounds - 1 });
  });
});
