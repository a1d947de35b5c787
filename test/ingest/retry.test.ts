// Transient database errors on a real PostgreSQL, retried in place and then applied once:
//  - 55P03 lock not available: the ingestor's sessions run with a short lock_timeout (DATABASE_URL `options`) and a
//    test transaction holds a lock that ingest_birth needs;
//  - 40P01 deadlock: a test transaction holds the lock the birth waits for, then asks for a lock the birth's
//    transaction already holds; PostgreSQL's deadlock check (deadlock_timeout, 1 s) aborts the birth, which waited first.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { appliedOrder, numberedBirth } from './support/births.ts';
import { useIngestEnvironment } from './support/environment.ts';
import { waitFor } from './support/ingestor.ts';

type Env = ReturnType<typeof useIngestEnvironment>;
const retriesOf = (env: Env, sqlstate: string) => env.ingestor.records().filter((r) => r.event === 'ingest.retry' && r.sqlstate === sqlstate);

/** The birth was applied exactly once, its retries counted under their SQLSTATE, nothing spooled or dead-lettered. */
async function expectAppliedOnce(env: Env, topic: string, devicePath: string, sqlstate: string): Promise<void> {
  await waitFor('the birth applied', async () => (await appliedOrder(env.admin(), devicePath)).length === 1);
  expect(env.ingestor.records().filter((r) => r.event === 'birth.ingested' && r.topic === topic)).toHaveLength(1);
  const text = await (await fetch(`http://127.0.0.1:${env.ingestor.metricsPort}/metrics`)).text();
  const counted = Number(new RegExp(`uns_meta_ingest_transient_retries_total\\{sqlstate="${sqlstate}"\\} (\\d+)`).exec(text)?.[1]);
  expect(counted).toBe(retriesOf(env, sqlstate).length);
  expect(counted).toBeGreaterThan(0);
  expect(text).toContain('uns_meta_ingest_spool_depth 0');
  const { rows } = await env.admin().query('select 1 from uns_meta.dead_letters where topic = $1', [topic]);
  expect(rows).toHaveLength(0);
}

describe('a lock timeout (55P03)', () => {
  const env = useIngestEnvironment({ ingestor: { INGEST_RETRY_ATTEMPTS: '50' }, databaseOptions: '-c lock_timeout=200ms' });
  const retries = () => retriesOf(env, '55P03');

  it('a birth meeting a lock timeout (55P03) is retried with backoff and applied once the lock is gone; nothing spooled or dead-lettered', async () => {
    const topic = 'spBv1.0/Secil/DBIRTH/Portugal/Locked';
    const holder = await env.admin().connect();
    try {
      await holder.query('begin');
      // conflicts with the row-exclusive lock of ingest_birth's upsert of the device; reads still pass
      await holder.query('lock table uns_meta.devices in share row exclusive mode');
      await env.pub.publishAsync(topic, numberedBirth(1));
      await waitFor('two retries', () => retries().length >= 2);
      expect(await appliedOrder(env.admin(), 'Secil/Portugal/Locked')).toEqual([]);
      await holder.query('commit');
    } finally {
      holder.release();
    }
    await expectAppliedOnce(env, topic, 'Secil/Portugal/Locked', '55P03');
    expect(retries().map((r) => r.attempt).slice(0, 2)).toEqual([1, 2]);
  });
});

describe('a deadlock (40P01)', () => {
  const env = useIngestEnvironment({ ingestor: { INGEST_RETRY_ATTEMPTS: '5' } });
  const retries = () => retriesOf(env, '40P01');

  it('the birth chosen as the deadlock victim is retried and applied once the other transaction commits', async () => {
    const topic = 'spBv1.0/Secil/DBIRTH/Portugal/Deadlock';
    const holder = await env.admin().connect();
    try {
      await holder.query('begin');
      // the birth gets as far as its first version: devices and metrics are written (row-exclusive locks held)
      await holder.query('lock table uns_meta.metric_versions in share row exclusive mode');
      await env.pub.publishAsync(topic, numberedBirth(1));
      await waitFor('the birth waiting for metric_versions, holding devices', async () => {
        const { rows } = await env.admin().query<{ waiting: boolean }>(
          `select exists (select from pg_locks as w join pg_locks as h on h.pid = w.pid and h.granted
                           where w.database = (select oid from pg_database where datname = current_database())
                             and w.relation = 'uns_meta.metric_versions'::regclass and not w.granted
                             and h.relation = 'uns_meta.devices'::regclass and h.mode = 'RowExclusiveLock') as waiting`);
        return rows[0]?.waiting === true;
      });
      await sleep(100); // the birth's deadlock check (deadlock_timeout after it began waiting) comes before ours
      // SHARE on devices conflicts with the birth's ROW EXCLUSIVE: each transaction now waits for the other
      await holder.query('lock table uns_meta.devices in share mode');
      await waitFor('the deadlock retry', () => retries().length >= 1);
      expect(await appliedOrder(env.admin(), 'Secil/Portugal/Deadlock')).toEqual([]);
      await holder.query('commit');
    } finally {
      holder.release();
    }
    await expectAppliedOnce(env, topic, 'Secil/Portugal/Deadlock', '40P01');
  });
});
