// Fault: the ingestor (a process of its own, `uns-meta ingest`) killed with SIGKILL in the middle of a birth while
// its spool holds births, then started again on the same spool directory. The database is cut off first (a TCP
// proxy), so every birth is acknowledged into the spool (written and fsynced); when it is back, the replay applies
// the other devices while one device's first birth waits inside its transaction on the device's birth lock, which a
// DBA's session holds; more births arrive meanwhile and are spooled behind. SIGKILL then. The next process replays
// the spool: every acknowledged birth ends applied, in order, per device; the two processes' logs account for each
// one (spooled by the first; applied or unchanged by the first or the second; none dead-lettered); the worker leaves
// the Canary simulator equal to PostgreSQL with no job left locked.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CanarySim, startCanarySim } from '../../src/canary-sim/index.ts';
import type { RunningWorker } from '../../src/worker/index.ts';
import { appliedOrder, numberedBirth } from '../ingest/support/births.ts';
import { type ChildIngestor, spawnIngestor } from '../ingest/support/child.ts';
import { useIngestEnvironment } from '../ingest/support/environment.ts';
import { waitFor } from '../ingest/support/ingestor.ts';
import { allInSync, canaryProps, parity, setDebounce, startTestWorker } from '../worker/helpers.ts';

const env = useIngestEnvironment({ proxy: true });
const DEVICES = 6;
const ROUNDS = 6;
const BEFORE_KILL = 4; // rounds published while the database is cut off; the rest while the birth waits
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const spooled = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.msg'));
const device = (d: number) => `Secil/Kill/D${d}`;
const topic = (d: number) => `spBv1.0/Secil/DBIRTH/Kill/D${d}`;

let sim: CanarySim;
let worker: RunningWorker | undefined;
const children: ChildIngestor[] = [];
const workerLines: string[] = [];

/** The JSON log lines of a process (its stdout), parsed. */
const records = (c: ChildIngestor): Record<string, unknown>[] =>
  c.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  sim = await startCanarySim({ port: 0 });
  await setDebounce(env.db, '0 seconds');
});

afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  await worker?.stop().catch(() => undefined);
  await sim?.close();
}, 60_000);

describe('the ingestor killed mid-birth with a non-empty spool', () => {
  it(`SIGKILL while a birth waits in its transaction and ${DEVICES} devices' births are spooled: the restart applies every one, in order; Canary = PostgreSQL`, { timeout: 150_000 }, async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'uns-meta-spool-'));
    const vars = { MQTT_URL: env.broker.url, DATABASE_URL: env.viaProxy(), INGEST_SPOOL_DIR: spoolDir, LOG_LEVEL: 'debug' };
    worker = await startTestWorker(sim, env.db, {}, pino({ level: 'warn' }, { write: (l: string) => void workerLines.push(l) }));

    // 1. The database cut off: every birth is acknowledged into the spool.
    await env.proxy.cut();
    const first = spawnIngestor(vars);
    children.push(first);
    await waitFor('the first ingestor to subscribe', () => first.output().includes('"event":"mqtt.subscribed"'), 30_000);
    for (const k of range(BEFORE_KILL)) for (const d of range(DEVICES)) await env.pub.publishAsync(topic(d), numberedBirth(k));
    await waitFor(`${DEVICES * BEFORE_KILL} births in the spool`, () => spooled(spoolDir).length === DEVICES * BEFORE_KILL, 30_000);

    // 2. A DBA's session holds D0's birth lock; the database comes back; the replay applies the other devices and
    // D0's first birth waits on the lock inside its transaction (ingest_birth running, nothing committed).
    const holder = await env.admin().connect();
    try {
      await holder.query('select pg_advisory_lock(uns_meta.device_birth_lock($1, $2, $3))', ['Secil', 'Kill', 'D0']);
      await env.proxy.restore();
      await waitFor("D0's birth waiting on its lock mid-transaction", async () => (await holder.query(
        `select 1 from pg_stat_activity where datname = $1 and application_name = 'uns-meta ingest'
            and wait_event_type = 'Lock' and state = 'active' and query like '%ingest_birth%'`, [env.db.name])).rowCount === 1, 60_000);
      await waitFor('the other devices replayed', async () => {
        for (const d of range(DEVICES).slice(1)) if ((await appliedOrder(env.admin(), device(d))).length < BEFORE_KILL) return false;
        return true;
      }, 60_000);
      // More births arrive while the spool holds D0's: acknowledged into it, behind them.
      for (const k of range(ROUNDS).slice(BEFORE_KILL)) for (const d of range(DEVICES)) await env.pub.publishAsync(topic(d), numberedBirth(k));
      await waitFor('every birth acknowledged into the spool', () =>
        records(first).filter((r) => r.event === 'spool.written').length === DEVICES * ROUNDS, 30_000);
      const port = Number(records(first).find((r) => r.event === 'http.listening')?.port);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain(`uns_meta_ingest_births_received_total{type="DBIRTH"} ${DEVICES * ROUNDS}`);

      first.child.kill('SIGKILL');
      expect(await first.exited).toBeNull();
      expect(await appliedOrder(env.admin(), device(0))).toEqual([]);
    } finally {
      await holder.query('select pg_advisory_unlock_all()');
      holder.release();
    }
    const left = spooled(spoolDir).length;
    // D0's births at least (its first never committed) and the last rounds of every device.
    expect(left).toBeGreaterThanOrEqual(ROUNDS + (DEVICES - 1) * (ROUNDS - BEFORE_KILL));

    // 3. Restarted on the same spool: it replays what the first acknowledged.
    const second = spawnIngestor(vars);
    children.push(second);
    await waitFor('every birth applied', async () => {
      if (spooled(spoolDir).length > 0) return false;
      for (const d of range(DEVICES)) if ((await appliedOrder(env.admin(), device(d))).length < ROUNDS) return false;
      return true;
    }, 60_000);
    for (const d of range(DEVICES)) expect(await appliedOrder(env.admin(), device(d)), device(d)).toEqual(range(ROUNDS));
    expect(second.output()).toContain(`the spool holds ${left} births from an earlier run; replaying`);
    const { rows: letters } = await env.admin().query<{ n: number }>('select count(*)::int as n from uns_meta.dead_letters');
    expect(letters[0]?.n).toBe(0);

    // Every acknowledged birth accounted for by the logs: spooled by the first process, then applied (or found
    // unchanged: committed just before the kill, its file not yet removed) by one of the two.
    const acknowledged = records(first).filter((r) => r.event === 'spool.written').map((r) => Number(r.seq));
    expect(new Set(acknowledged).size).toBe(DEVICES * ROUNDS);
    const outcomes = [...records(first), ...records(second)].filter((r) => r.event === 'birth.ingested' || r.event === 'birth.unchanged');
    expect([...new Set(outcomes.map((r) => Number(r.seq)))].sort()).toEqual([...acknowledged].sort());
    expect(records(second).filter((r) => r.event === 'birth.ingested' && r.device === 'Secil/Kill/D0')).toHaveLength(ROUNDS);

    // Canary = PostgreSQL: every metric confirmed at its current version, the simulator holding the last birth's n.
    await waitFor('Canary in sync', () => allInSync(env.db), 90_000).catch(async (err: unknown) => {
      const statuses = (await parity(env.db)).map((r) => r.status).sort().join(' ');
      throw new Error(`${(err as Error).message}; parity: ${statuses}; worker's last errors: ${workerLines.filter((l) => l.includes('"level":50')).slice(-3).join(' ')}`);
    });
    const rows = await parity(env.db);
    expect(rows).toHaveLength(DEVICES);
    for (const r of rows) expect(canaryProps(sim, r.canary_tag ?? '')).toMatchObject({ n: ROUNDS - 1 });
    await waitFor('no job left locked', async () =>
      (await env.db.pool('uns_meta_app').query<{ n: number }>('select count(*)::int as n from graphile_worker._private_jobs where locked_by is not null')).rows[0]?.n === 0, 60_000);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
