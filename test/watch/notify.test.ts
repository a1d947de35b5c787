// triggers/notify_catalog_changes: ONE notification per statement, never one per row or property. A plain LISTEN
// client (node-postgres, as uns_meta_ro: LISTEN needs no grant) counts what arrives on uns_meta_catalog_changes
// after a DBA's UPDATE of 10,000 properties in one statement (10,000 versions), and after the worker's confirmation
// upsert (src/worker/sql/confirm.sql) that inserts one row and updates another (two statement triggers fire); and
// the device ids a versions notification names, for metrics of one birth and for metrics far apart.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFor, createTestDatabase, type TestDatabase } from '../support/database.ts';
import { ingest, waitFor } from '../worker/helpers.ts';
import { birth } from './support.ts';

const CHANNEL = 'uns_meta_catalog_changes';
const METRICS = 10_000;
const confirmSql = readFileSync(new URL('../../src/worker/sql/confirm.sql', import.meta.url), 'utf8');
let db: TestDatabase;
let listener: pg.Client | undefined;
const received: Record<string, unknown>[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await ingest(db, birth('Bulk', Object.fromEntries(Array.from({ length: METRICS }, (_, i) => [`M${i}`, { engUnit: 'bar' }])), 1));
  listener = new pg.Client(configFor(db.url('uns_meta_ro')));
  await listener.connect();
  listener.on('notification', (n) => { if (n.channel === CHANNEL) received.push(JSON.parse(n.payload!) as Record<string, unknown>); });
  await listener.query(`listen ${CHANNEL}`);
}, 120_000);
afterAll(async () => {
  await listener?.end();
  await db.drop();
});

/**
 * Sends a barrier on the channel and waits for it. PostgreSQL delivers notifications in the order their transactions
 * committed, so once the barrier arrives every notification committed before it has arrived too (an earlier
 * ingest's own "versions" notification included: waiting a while for it made this file flaky under load).
 */
let barriers = 0;
async function barrier(): Promise<void> {
  const id = ++barriers;
  await db.pool('uns_meta_admin').query('select pg_notify($1, $2)', [CHANNEL, JSON.stringify({ kind: 'test-barrier', id })]);
  await waitFor(`barrier ${id} on ${CHANNEL}`, () => Promise.resolve(received.some((n) => n.kind === 'test-barrier' && n.id === id)), 60_000);
}

/** The notifications a statement sends once it committed: exactly those arriving between two barriers. */
async function notificationsOf(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  await barrier();
  received.length = 0;
  await run();
  await barrier();
  return received.filter((n) => n.kind !== 'test-barrier');
}

describe('one NOTIFY per statement', () => {
  it(`an UPDATE of ${METRICS} properties: ${METRICS} versions, one notification`, async () => {
    const deviceId = (await db.pool('uns_meta_admin').query<{ id: string }>(`select device_id::text as id from uns_meta.devices where device = 'Bulk'`)).rows[0]!.id;
    const got = await notificationsOf(() => db.pool('uns_meta_admin').query(
      `update uns_meta.metric_properties set value_string = 'mbar' where key = 'engUnit'`));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ kind: 'versions', count: METRICS, devices: [Number(deviceId)] });
    const n = got[0] as { first: number; last: number };
    const { rows } = await db.pool('uns_meta_admin').query<{ n: number }>(
      `select count(*)::int as n from uns_meta.metric_versions where version_id between $1 and $2 and changed_by = 'uns_meta_admin'`, [n.first, n.last]);
    expect(rows[0]!.n).toBe(METRICS);
  }, 120_000);

  it('the worker\'s confirmation upsert (one row inserted, one updated): one notification', async () => {
    const ids = (await db.pool('uns_meta_admin').query<{ id: string }>(`select metric_id::text as id from uns_meta.metrics where name in ('M1', 'M2') order by name`)).rows.map((r) => r.id);
    const confirm = (metricIds: string[]) => db.pool('uns_meta_app').query(confirmSql, [metricIds, metricIds.map(() => 2),
      metricIds.map(() => null), metricIds.map(() => 'unchanged'), metricIds.map(() => new Date())]);
    expect(await notificationsOf(() => confirm([ids[0]!]))).toMatchObject([{ kind: 'confirmations', count: 1 }]);
    const got = await notificationsOf(() => confirm(ids));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ kind: 'confirmations', count: 2 });
  });

  it('a statement versioning metrics far apart (two devices): their devices, each once', async () => {
    // The trigger reads the devices of a dense stretch of metric ids as that stretch of the primary key (the test
    // above: one birth's metrics) and of scattered ones by one probe each (here: M7 of Bulk and the metrics of a
    // device born after Bulk's 10,000).
    await ingest(db, birth('Other', { X: { engUnit: 'bar' }, Y: { engUnit: 'bar' } }, 2));
    const devices = (await db.pool('uns_meta_admin').query<{ id: string }>(
      `select device_id::text as id from uns_meta.devices where device in ('Bulk', 'Other') order by device_id`)).rows.map((r) => Number(r.id));
    const got = await notificationsOf(() => db.pool('uns_meta_admin').query(
      `update uns_meta.metric_properties set value_string = 'kPa'
        where key = 'engUnit' and metric_id in (select metric_id from uns_meta.metrics where name in ('M7', 'X', 'Y'))`));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ kind: 'versions', count: 3, devices });
  }, 120_000);

  it('a statement versioning a dense stretch of metric ids of two devices (born one after the other): both devices', async () => {
    await ingest(db, birth('DenseA', { P: { engUnit: 'bar' }, Q: { engUnit: 'bar' } }, 3));
    await ingest(db, birth('DenseB', { P: { engUnit: 'bar' }, Q: { engUnit: 'bar' } }, 4));
    const admin = db.pool('uns_meta_admin');
    const ids = (await admin.query<{ id: string }>(
      `select m.metric_id::text as id from uns_meta.metrics m join uns_meta.devices d using (device_id)
        where d.device in ('DenseA', 'DenseB') order by m.metric_id`)).rows.map((r) => Number(r.id));
    expect(ids.at(-1)! - ids[0]!).toBeLessThan(2 * ids.length); // the premise: one stretch, read as a range
    const devices = (await admin.query<{ id: string }>(
      `select device_id::text as id from uns_meta.devices where device in ('DenseA', 'DenseB') order by device_id`)).rows.map((r) => Number(r.id));
    const got = await notificationsOf(() => admin.query(
      `update uns_meta.metric_properties set value_string = 'kPa'
        where key = 'engUnit' and metric_id in (select m.metric_id from uns_meta.metrics m join uns_meta.devices d using (device_id) where d.device in ('DenseA', 'DenseB'))`));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ kind: 'versions', count: 4, devices });
  }, 120_000);

  it('a statement that rolls back sends nothing', async () => {
    const got = await notificationsOf(async () => {
      const c = await db.pool('uns_meta_admin').connect();
      try {
        await c.query('begin');
        await c.query(`update uns_meta.metric_properties set value_string = 'Pa' where key = 'engUnit'`);
        await c.query('rollback');
      } finally {
        c.release();
      }
    });
    expect(got).toEqual([]);
  }, 120_000);
});
