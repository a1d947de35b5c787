// A chunk of a birth looks its metrics up in uns_meta.metrics in proportion to the chunk, not to the catalog
// (docs/sql-api.md, "Speed": chunk after chunk of a large first birth, five statements read every metric the device
// already had). Counted with the transaction's own table statistics (pg_stat_xact_user_tables, visible to the
// ingesting session before COMMIT): the rows of metrics a chunk reads by sequential scans (seq_tup_read) and fetches
// through its indexes (idx_tup_fetch, bitmap scans included). Rows, not blocks: they do not depend on what is cached.
// ingest_birth probes the indexes once metrics is much larger than the call (uns_meta.ingest_birth__probes_catalog,
// about 17 times the call's metrics for plant-shaped rows: its rule is tested in
// sql-tests/functions/ingest_birth__stage_metrics.sql); a test database that large would take minutes to fill, so
// the chunk here asks for the probes with uns_meta.catalog_probes = on (with off it reads the table: the red run).
// The chunk is over 1,000 metrics, so ingest_birth plans it as it plans a large birth's chunks (generic plans, the
// staging analyzed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const CATALOG = 8000; // metrics the device holds before the chunk
const CHUNK = 1200; // metrics in the chunk: names the device has and NEW new ones
const NEW = 50; // few new metrics: their versions' foreign-key check (triggers/statement_foreign_keys) then probes the
// primary key too (for a larger share of the table the planner reads the table there, by its own costs)
let db: TestDatabase;
let conn: pg.PoolClient;

const metric = (name: string) => ({
  name, datatype: 10, properties: { keys: ['engUnit'], values: [{ type: 12, stringValue: 'kW' }] },
});
const names = (from: number, to: number, prefix = 'Area/Line') =>
  Array.from({ length: to - from }, (_, i) => `${prefix}${(from + i) % 20}/Tag${from + i}`);
const birth = (metrics: unknown[], chunk?: { index: number; last: boolean }) =>
  JSON.stringify({ topic: 'spBv1.0/G/DBIRTH/E/Big', payload: { metrics }, ...(chunk ? { chunk } : {}) });

interface Reads { seq_scan: number; seq_tup_read: number; idx_tup_fetch: number }
/** What this transaction has read of uns_meta.metrics so far. */
async function reads(): Promise<Reads> {
  const { rows } = await conn.query<Reads>(`select seq_scan::int, seq_tup_read::int, idx_tup_fetch::int
                                              from pg_stat_xact_user_tables where relid = 'uns_meta.metrics'::regclass`);
  return rows[0] ?? { seq_scan: 0, seq_tup_read: 0, idx_tup_fetch: 0 };
}

beforeAll(async () => {
  db = await createTestDatabase();
  conn = await db.pool('uns_meta_app').connect();
  await conn.query('select uns_meta.ingest_birth($1::jsonb)', [birth(names(0, CATALOG).map(metric))]);
}, 120_000);
afterAll(async () => {
  conn.release();
  await db.drop();
});

describe('a chunk of a birth reads metrics in proportion to the chunk', () => {
  it(`a ${CHUNK}-metric chunk on a device of ${CATALOG} metrics reads at most ${2 * CHUNK} rows of metrics`, async () => {
    const chunk = [...names(0, CHUNK - NEW), ...names(CATALOG, CATALOG + NEW, 'Area/New')].map(metric);
    await conn.query('begin');
    try {
      await conn.query(`set local uns_meta.catalog_probes = 'on'`);
      const before = await reads();
      const { rows } = await conn.query<{ s: { metrics: { inserted: number; unchanged: number } } }>(
        'select uns_meta.ingest_birth($1::jsonb) as s', [birth(chunk, { index: 0, last: false })]);
      const after = await reads();
      // The chunk did its work: the new names inserted (with their versions), the known ones found unchanged.
      expect(rows[0]!.s.metrics).toMatchObject({ inserted: NEW, unchanged: CHUNK - NEW });
      const read = { seq_scan: after.seq_scan - before.seq_scan, seq_tup_read: after.seq_tup_read - before.seq_tup_read,
                     idx_tup_fetch: after.idx_tup_fetch - before.idx_tup_fetch };
      // Reading the table (or the device's entries) even once is over CATALOG rows; the chunk's own lookups fetch
      // a row for each name the device has (the staging) and for each new metric (the foreign-key check of its
      // version, the watch trigger).
      expect(read.seq_tup_read + read.idx_tup_fetch, JSON.stringify(read)).toBeLessThanOrEqual(2 * CHUNK);
    } finally {
      await conn.query('rollback');
    }
  }, 60_000);
});
