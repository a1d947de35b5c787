// uns_meta.refresh_catalog_statistics(): which tables it analyzes depends on how much committed births grew them, so
// it is tested here across commits rather than in pgTAP. Autovacuum is switched off for the three tables in this
// clone, so only the function analyzes them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const TABLES = ['canary_sync_state', 'metric_properties', 'metrics'];
let db: TestDatabase;
let app: pg.Pool;
let admin: pg.Pool;

const birth = (device: string, count: number) => JSON.stringify({
  topic: `spBv1.0/G/DBIRTH/E/${device}`,
  payload: {
    metrics: Array.from({ length: count }, (_, i) => ({
      name: `m${i}`, datatype: 10, properties: {
        keys: ['engUnit', 'engHigh', 'documentation'],
        values: [{ type: 12, stringValue: 'kW' }, { type: 10, doubleValue: 100 }, { type: 12, stringValue: `metric ${i} of ${device}` }],
      },
    })),
  },
});

const refresh = async () => (await app.query<{ analyzed: string[] }>('select uns_meta.refresh_catalog_statistics() as analyzed')).rows[0]?.analyzed;

/** The table's size in pages, and pg_class.relpages (as of its last ANALYZE or VACUUM). */
async function pages(table: string): Promise<{ now: number; recorded: number }> {
  const { rows } = await admin.query<{ now: number; recorded: number }>(
    `select (pg_relation_size(oid) / current_setting('block_size')::bigint)::int as now, relpages as recorded
       from pg_class where oid = $1::regclass`, [`uns_meta.${table}`]);
  return rows[0]!;
}

const analyzedAt = async (table: string) =>
  (await admin.query<{ at: Date | null }>(`select last_analyze as at from pg_stat_user_tables where schemaname = 'uns_meta' and relname = $1`, [table])).rows[0]?.at ?? null;

beforeAll(async () => {
  db = await createTestDatabase();
  app = db.pool('uns_meta_app');
  admin = db.pool('uns_meta_admin');
  for (const t of TABLES) await admin.query(`alter table uns_meta.${t} set (autovacuum_enabled = false)`);
});
afterAll(async () => {
  await db.drop();
});

describe('uns_meta.refresh_catalog_statistics()', () => {
  it('analyzes the tables a bulk birth filled, then nothing until they grow by more than 20 % + 64 pages', async () => {
    expect(await refresh()).toEqual([]); // empty tables
    await app.query('select uns_meta.ingest_birth($1::jsonb)', [birth('Bulk', 4000)]);
    for (const t of ['metrics', 'metric_properties']) expect((await pages(t)).now).toBeGreaterThanOrEqual(64);
    expect(await analyzedAt('metrics')).toBeNull();

    expect(await refresh()).toEqual(['metric_properties', 'metrics']);
    expect(await analyzedAt('metrics')).not.toBeNull();
    const { rows } = await admin.query<{ reltuples: number }>(`select reltuples from pg_class where oid = 'uns_meta.metrics'::regclass`);
    expect(rows[0]?.reltuples).toBe(4000); // the planner now knows the table
    // only the columns the worker filters and joins on; the full ANALYZE is left to autovacuum
    const { rows: columns } = await admin.query<{ attname: string }>(
      `select attname from pg_stats where schemaname = 'uns_meta' and tablename = 'metrics' order by attname`);
    expect(columns.map((c) => c.attname)).toEqual(['device_id', 'metric_id']);
    expect(await refresh()).toEqual([]); // nothing grew since

    // 100 more metrics: a few pages, left to autovacuum
    await app.query('select uns_meta.ingest_birth($1::jsonb)', [birth('Small', 100)]);
    const small = await pages('metrics');
    expect(small.now).toBeGreaterThan(small.recorded);
    expect(small.now).toBeLessThanOrEqual(1.2 * small.recorded + 64);
    expect(await refresh()).toEqual([]);

    // 8000 more: well over the threshold
    await app.query('select uns_meta.ingest_birth($1::jsonb)', [birth('Bulk2', 8000)]);
    const big = await pages('metrics');
    expect(big.now).toBeGreaterThan(1.2 * big.recorded + 64);
    expect(await refresh()).toEqual(['metric_properties', 'metrics']);
    expect((await pages('metrics')).recorded).toBe((await pages('metrics')).now);
  });

  it('returns at once, analyzing nothing, while another session runs it', async () => {
    await app.query('select uns_meta.ingest_birth($1::jsonb)', [birth('Bulk3', 20000)]);
    const other = await admin.connect();
    try {
      await other.query(`select pg_advisory_lock(hashtext('uns_meta.refresh_catalog_statistics'))`);
      expect(await refresh()).toEqual([]);
      await other.query(`select pg_advisory_unlock(hashtext('uns_meta.refresh_catalog_statistics'))`);
    } finally {
      other.release();
    }
    expect(await refresh()).toEqual(['metric_properties', 'metrics']);
  });

  it('leaves a table alone while another transaction is still writing it in bulk, and analyzes it after the commit', async () => {
    const writer = await app.connect();
    try {
      await writer.query('begin');
      await writer.query('select uns_meta.ingest_birth($1::jsonb)', [birth('Uncommitted', 20000)]);
      const grown = await pages('metrics');
      expect(grown.now).toBeGreaterThan(1.2 * grown.recorded + 64); // the size test alone would analyze it now
      const before = await analyzedAt('metrics');
      const start = Date.now();
      expect(await refresh()).toEqual([]); // its rows are not committed: analyzing would record a near-empty table
      expect(Date.now() - start).toBeLessThan(5000);
      expect(await analyzedAt('metrics')).toEqual(before);
      await writer.query('commit');
    } finally {
      writer.release();
    }
    expect(await refresh()).toEqual(['metric_properties', 'metrics']);
    const { rows } = await admin.query<{ reltuples: number }>(`select reltuples from pg_class where oid = 'uns_meta.metrics'::regclass`);
    expect(rows[0]?.reltuples).toBeGreaterThan(20000);
  });

  it('skips a table another session holds (within 2 s) instead of waiting for it', async () => {
    await app.query('select uns_meta.ingest_birth($1::jsonb)', [birth('Bulk4', 30000)]);
    const other = await admin.connect();
    try {
      await other.query('begin');
      await other.query('lock table uns_meta.metrics in share update exclusive mode'); // what VACUUM and ANALYZE take
      const start = Date.now();
      expect(await refresh()).toEqual(['metric_properties']);
      expect(Date.now() - start).toBeLessThan(10_000);
      await other.query('commit');
    } finally {
      other.release();
    }
    expect(await refresh()).toEqual(['metrics']);
  });
});
