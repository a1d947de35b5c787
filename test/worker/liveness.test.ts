// src/worker/liveness.ts on its own, against the test database: the session that says a worker pool is alive (named
// 'uns-meta-worker <pool id>', reopened once when the server drops it, ended by release() and never reopened after
// it), and unlockDeadWorkers, which must never unlock the asking worker's own jobs.
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Liveness, unlockDeadWorkers } from '../../src/worker/liveness.ts';
import { configFor, createTestDatabase, type TestDatabase } from '../support/database.ts';
import { waitFor } from './helpers.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const RETRY_MS = 100;
const admin = () => db.pool('uns_meta_admin');

/** Backends of this database whose application_name is the pool's liveness name. */
async function sessions(poolId: string): Promise<number[]> {
  const { rows } = await admin().query<{ pid: number }>(
    `select pid from pg_stat_activity where datname = current_database() and application_name = $1 order by pid`, [`uns-meta-worker ${poolId}`]);
  return rows.map((r) => r.pid);
}

/** A Liveness whose warnings land in `warnings` (their messages) and `records` (whole). */
function liveness(warnings: string[] = [], url = db.url('uns_meta_app'), records: Record<string, unknown>[] = []): Liveness {
  const logger = pino({ level: 'warn' }, {
    write: (l: string) => {
      const record = JSON.parse(l) as { msg: string };
      warnings.push(record.msg);
      records.push(record);
    },
  });
  return new Liveness(configFor(url), logger, RETRY_MS);
}

describe('Liveness', () => {
  it('register opens one session named after the pool; a session the server ends is reopened, once', async () => {
    const warnings: string[] = [];
    const records: Record<string, unknown>[] = [];
    const l = liveness(warnings, db.url('uns_meta_app'), records);
    await l.register('pool-a');
    const [first] = await sessions('pool-a');
    expect(first).toBeDefined();
    await admin().query('select pg_terminate_backend($1)', [first]);
    const [second] = await waitFor('the reopened session', async () => {
      const s = await sessions('pool-a');
      return s.length > 0 && s[0] !== first ? s : undefined;
    });
    expect(second).not.toBe(first);
    await sleep(10 * RETRY_MS); // the 'error' and the 'end' of the lost client both fired: still one session
    expect(await sessions('pool-a')).toEqual([second]);
    expect(warnings.filter((w) => w === 'liveness connection lost; reopening it')).toHaveLength(1);
    expect(records.find((r) => r.msg === 'liveness connection lost; reopening it')).toMatchObject({ workerPool: 'pool-a' });
    await l.release();
    await waitFor('the session ended', async () => (await sessions('pool-a')).length === 0);
  });

  it('release ends the session and nothing reopens it', async () => {
    const warnings: string[] = [];
    const l = liveness(warnings);
    await l.register('pool-b');
    expect(await sessions('pool-b')).toHaveLength(1);
    await l.release();
    await waitFor('the session ended', async () => (await sessions('pool-b')).length === 0);
    await sleep(10 * RETRY_MS);
    expect(await sessions('pool-b')).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('released while connecting: the new connection is closed, not kept', async () => {
    const l = liveness();
    const registering = l.register('pool-c');
    await l.release();
    await registering;
    await sleep(10 * RETRY_MS);
    expect(await sessions('pool-c')).toEqual([]);
  });

  it('while PostgreSQL refuses, register keeps trying (one warning per attempt) until release', async () => {
    const warnings: string[] = [];
    const refused = db.url('uns_meta_app').replace(/:\d+\//, ':1/'); // nothing listens on port 1
    const records: Record<string, unknown>[] = [];
    const l = liveness(warnings, refused, records);
    let done = false;
    const registering = l.register('pool-d').then(() => { done = true; });
    await waitFor('three attempts', () => Promise.resolve(warnings.length >= 3));
    expect(done).toBe(false);
    expect(new Set(warnings)).toEqual(new Set(['liveness connection failed; retrying']));
    expect(records[0]).toMatchObject({ workerPool: 'pool-d' });
    expect(records[0]?.err).toMatch(/ECONNREFUSED/);
    await l.release();
    await registering;
    const attempts = warnings.length;
    await sleep(5 * RETRY_MS);
    expect(warnings).toHaveLength(attempts);
  });
});

describe('unlockDeadWorkers', () => {
  it('unlocks the old locks of pools without a liveness session, never the asking worker\'s own', async () => {
    const jobs: Record<string, string> = {};
    for (const pool of ['own-pool', 'dead-pool', 'live-pool']) {
      const { rows: [job] } = await admin().query<{ id: string }>(`select id::text from graphile_worker.add_job('other_task', '{}'::json)`);
      await admin().query(`update graphile_worker._private_jobs set locked_by = $2, locked_at = now() - interval '1 minute' where id = $1`, [job!.id, pool]);
      jobs[pool] = job!.id;
    }
    const live = liveness();
    await live.register('live-pool');
    try {
      expect(await unlockDeadWorkers(db.pool('uns_meta_app'), 1, 'own-pool')).toEqual(['dead-pool']);
      const { rows } = await admin().query<{ id: string; locked_by: string | null }>(
        'select id::text, locked_by from graphile_worker._private_jobs where id = any($1::bigint[]) order by id', [Object.values(jobs)]);
      expect(Object.fromEntries(rows.map((r) => [r.id, r.locked_by]))).toEqual({
        [jobs['own-pool']!]: 'own-pool', [jobs['dead-pool']!]: null, [jobs['live-pool']!]: 'live-pool',
      });
      // without an own pool (before it has one), its old locks are a dead worker's like any other
      expect(await unlockDeadWorkers(db.pool('uns_meta_app'), 1)).toEqual(['own-pool']);
    } finally {
      await live.release();
    }
  });
});
