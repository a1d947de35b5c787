// metric_properties.metric_id references metrics through statement triggers (not a FOREIGN KEY, see
// docs/schema.md). What a foreign key guarantees across sessions must still hold: a writer's properties lock
// their metric FOR KEY SHARE until it commits, so a concurrent delete waits and then takes the properties along.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
let metricId: number;

beforeAll(async () => {
  db = await createTestDatabase();
  const { rows } = await db.pool('uns_meta_app').query<{ s: { device_id: number } }>(
    'select uns_meta.ingest_birth($1::jsonb) as s',
    [JSON.stringify({ topic: 'spBv1.0/G/DBIRTH/E/D', payload: { metrics: [{ name: 'Tag', datatype: 10 }] } })],
  );
  expect(rows[0]!.s.device_id).toBeGreaterThan(0);
  const m = await db.pool('uns_meta_ro').query<{ id: string }>("select metric_id as id from uns_meta.metrics where name = 'Tag'");
  metricId = Number(m.rows[0]!.id);
});
afterAll(async () => {
  await db.drop();
});

describe('metric_properties -> metrics across sessions', () => {
  it('a delete of the metric waits for the transaction writing its properties, then removes them', async () => {
    const writer = await db.pool('uns_meta_app').connect();
    const admin = await db.pool('uns_meta_admin').connect();
    try {
      await writer.query('begin');
      await writer.query(
        "insert into uns_meta.metric_properties (metric_id, key, type, spb_type, value_string) values ($1, 'engUnit', 'string', 12, 'bar')",
        [metricId],
      );

      await admin.query("set lock_timeout = '300ms'");
      const blocked = await admin.query('delete from uns_meta.metrics where metric_id = $1', [metricId]).then(
        () => 'deleted',
        (e: { code?: string }) => e.code,
      );
      expect(blocked).toBe('55P03'); // lock_not_available: the writer holds the metric FOR KEY SHARE

      await writer.query('commit');
      await admin.query("set lock_timeout = '10s'");
      const { rowCount } = await admin.query('delete from uns_meta.metrics where metric_id = $1', [metricId]);
      expect(rowCount).toBe(1);
      const left = await admin.query('select count(*)::int as n from uns_meta.metric_properties where metric_id = $1', [metricId]);
      expect(left.rows[0]).toEqual({ n: 0 });
    } finally {
      writer.release();
      admin.release();
    }
  });

  it('a property of a metric deleted meanwhile is refused with 23503', async () => {
    const app = db.pool('uns_meta_app');
    const error = await app
      .query("insert into uns_meta.metric_properties (metric_id, key, type, spb_type, value_int) values ($1, 'k', 'int', 3, 1)", [metricId])
      .then(
        () => null,
        (e: { code?: string; message: string }) => ({ code: e.code, message: e.message }),
      );
    expect(error).toEqual({ code: '23503', message: `insert on table "metric_properties": metric_id ${metricId} is not in uns_meta.metrics` });
  });
});
