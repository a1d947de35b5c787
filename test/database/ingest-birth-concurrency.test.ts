// ingest_birth under concurrency: QoS 0 duplicates arriving at the same moment, and births of one device racing.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const plantPayload: unknown = JSON.parse(
  readFileSync(new URL('../../fixtures/sparkplug/sources/secil-dbirth-portugal-cement.payload.json', import.meta.url), 'utf8'),
);
const topic = 'spBv1.0/Secil/DBIRTH/Portugal/Cement';

interface Summary {
  metrics: { inserted: number; unchanged: number; updated: number };
  versions_written: number;
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function ingest(payload: unknown, receivedAt: string): Promise<Summary> {
  const { rows } = await db
    .pool('uns_meta_app')
    .query<{ s: Summary }>('select uns_meta.ingest_birth($1::jsonb) as s', [JSON.stringify({ topic, received_at: receivedAt, payload })]);
  return rows[0]!.s;
}

async function count(sql: string): Promise<number> {
  const { rows } = await db.pool('uns_meta_ro').query<{ n: number }>(`select count(*)::int as n from ${sql}`);
  return rows[0]!.n;
}

describe('ingest_birth concurrency', () => {
  it('the same DBIRTH delivered 4 times at once: one applies, the others are no-ops, no duplicates, no errors', async () => {
    const results = await Promise.all([1, 2, 3, 4].map(() => ingest(plantPayload, '2026-11-21T10:00:00.000Z')));
    expect(results.map((r) => r.metrics.inserted).sort()).toEqual([0, 0, 0, 3]);
    expect(results.filter((r) => r.metrics.unchanged === 3)).toHaveLength(3);
    expect(await count('uns_meta.devices')).toBe(1);
    expect(await count('uns_meta.metrics')).toBe(3);
    expect(await count('uns_meta.metric_properties')).toBe(30);
    expect(await count('uns_meta.metric_versions')).toBe(3);
  });

  it('births of one device racing each other are applied one after the other (versions are consecutive)', async () => {
    const variants = [1, 2, 3, 4, 5].map((n) => {
      const p = structuredClone(plantPayload) as { metrics: { properties: { keys: string[]; values: { stringValue?: string }[] } }[] };
      const m = p.metrics[0]!;
      m.properties.values[m.properties.keys.indexOf('documentation')]!.stringValue = `revision ${n}`;
      return p;
    });
    const results = await Promise.all(variants.map((p, i) => ingest(p, `2026-11-21T10:0${i + 1}:00.000Z`)));
    expect(results.every((r) => r.metrics.updated === 1 && r.versions_written === 1)).toBe(true);
    const { rows } = await db
      .pool('uns_meta_ro')
      .query<{ version_no: number }>(
        `select version_no from uns_meta.metric_versions v join uns_meta.metrics m using (metric_id)
          where m.name = $1 order by version_no`,
        [(variants[0]!.metrics[0] as unknown as { name: string }).name],
      );
    expect(rows.map((r) => r.version_no)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
