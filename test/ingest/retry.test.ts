// Transient database errors on a real PostgreSQL: the ingestor's sessions run with a short lock_timeout (set through
// DATABASE_URL `options`), and a test transaction holds a lock that ingest_birth needs, so the birth fails with
// 55P03 (lock not available) until the lock is released. It must be retried in place, then applied once.
import { describe, expect, it } from 'vitest';
import { appliedOrder, numberedBirth } from './support/births.ts';
import { useIngestEnvironment } from './support/environment.ts';
import { waitFor } from './support/ingestor.ts';

const env = useIngestEnvironment({ ingestor: { INGEST_RETRY_ATTEMPTS: '50' }, databaseOptions: '-c lock_timeout=200ms' });

const retries = () => env.ingestor.records().filter((r) => r.event === 'ingest.retry' && r.sqlstate === '55P03');

describe('transient database errors', () => {
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
    await waitFor('the birth applied', async () => (await appliedOrder(env.admin(), 'Secil/Portugal/Locked')).length === 1);
    expect(retries().map((r) => r.attempt).slice(0, 2)).toEqual([1, 2]);
    expect(env.ingestor.records().filter((r) => r.event === 'birth.ingested' && r.topic === topic)).toHaveLength(1);

    const text = await (await fetch(`http://127.0.0.1:${env.ingestor.metricsPort}/metrics`)).text();
    const counted = Number(/uns_meta_ingest_transient_retries_total\{sqlstate="55P03"\} (\d+)/.exec(text)?.[1]);
    expect(counted).toBe(retries().length);
    expect(text).toContain('uns_meta_ingest_spool_depth 0');
    const { rows } = await env.admin().query('select 1 from uns_meta.dead_letters where topic = $1', [topic]);
    expect(rows).toHaveLength(0);
  });
});
