// ingest_birth keeps its staging tables per session and empties them itself (their rows outlive a commit: ON COMMIT
// DELETE ROWS would truncate them at every commit, see deploy/functions/ingest_birth.sql). pgTAP runs in one
// transaction, so what crosses a COMMIT on one connection is tested here: chunk bookkeeping must not leak from one
// transaction into the next, and many births on one connection must keep giving the same answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
let conn: pg.PoolClient;

const metric = (name: string, unit: string) => ({
  name, datatype: 10, properties: { keys: ['engUnit'], values: [{ type: 12, stringValue: unit }] },
});
const birth = (device: string, metrics: unknown[], chunk?: { index: number; last: boolean }) =>
  JSON.stringify({ topic: `spBv1.0/G/DBIRTH/E/${device}`, payload: { metrics }, ...(chunk ? { chunk } : {}) });

interface Summary {
  metrics: { inserted: number; updated: number; unchanged: number; retired: number };
  versions_written: number;
}
async function ingest(text: string): Promise<Summary> {
  const { rows } = await conn.query<{ s: Summary }>('select uns_meta.ingest_birth($1::jsonb) as s', [text]);
  return rows[0]!.s;
}

beforeAll(async () => {
  db = await createTestDatabase();
  conn = await db.pool('uns_meta_app').connect();
});
afterAll(async () => {
  conn.release();
  await db.drop();
});

describe('ingest_birth across commits on one connection', () => {
  it('a chunked birth left unfinished by a COMMIT does not continue in the next transaction', async () => {
    await conn.query('begin');
    await ingest(birth('C', [metric('A', 'kW')], { index: 0, last: false }));
    await conn.query('commit');
    await conn.query('begin');
    const err = await ingest(birth('C', [metric('B', 'kW')], { index: 1, last: true })).then(() => undefined, (e: { code?: string; message: string }) => e);
    await conn.query('rollback');
    expect(err?.code).toBe('U0003');
    expect(err?.message).toContain('expects chunk 0');
    // A new chunked birth of the device starts cleanly; its retirement sees only its own chunks' names.
    await conn.query('begin');
    await ingest(birth('C', [metric('B', 'kW')], { index: 0, last: false }));
    const last = await ingest(birth('C', [metric('D', 'kW')], { index: 1, last: true }));
    await conn.query('commit');
    expect(last.metrics.retired).toBe(1); // A, named only by the abandoned transaction's chunk
    const { rows } = await db.pool('uns_meta_ro').query<{ name: string }>(
      "select name from uns_meta.metrics m join uns_meta.devices d using (device_id) where d.device = 'C' and m.retired_at is null order by name");
    expect(rows.map((r) => r.name)).toEqual(['B', 'D']);
  });

  it('hundreds of births in separate transactions keep staging nothing from earlier calls', async () => {
    // Enough calls of growing size for the staging tables to pass their 1 MB limit and be truncated along the way.
    for (let round = 0; round < 3; round++) {
      for (let d = 0; d < 60; d++) {
        const metrics = Array.from({ length: 40 + d }, (_, i) => metric(`L/${i}`, i === 0 && round === 2 ? 'MW' : 'kW'));
        const s = await ingest(birth(`S${d}`, metrics));
        if (round === 0) expect(s.metrics.inserted, `first birth of S${d}`).toBe(40 + d);
        else if (round === 1) expect(s.metrics.unchanged, `identical birth of S${d}`).toBe(40 + d);
        else {
          expect(s.metrics.updated, `changed birth of S${d}`).toBe(1);
          expect(s.metrics.unchanged).toBe(39 + d);
          expect(s.versions_written).toBe(1);
        }
      }
    }
    const { rows } = await db.pool('uns_meta_ro').query<{ n: number }>(
      "select count(*)::int as n from uns_meta.metric_versions v join uns_meta.metrics m using (metric_id) join uns_meta.devices d using (device_id) where d.device like 'S%'");
    expect(rows[0]!.n).toBe(Array.from({ length: 60 }, (_, d) => 40 + d + 1).reduce((a, b) => a + b, 0));
  });
});
