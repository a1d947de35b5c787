// metrics.device_id -> devices, metric_versions.metric_id -> metrics and canary_sync_state.metric_id -> metrics are checked by statement triggers, not
// FOREIGN KEYs (triggers/statement_foreign_keys, docs/schema.md). What a foreign key guarantees across sessions must
// still hold: a writer locks the parent FOR KEY SHARE until it commits, so a concurrent DELETE of the parent waits and
// then takes the new child along; the lock is the weak one, so an update of a device's other columns does not wait;
// a child written after the parent's delete committed is refused with 23503. sql-tests/triggers/statement_foreign_keys.sql
// tests the rest in one session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolClient } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const birth = (device: string, names: string[]) =>
  JSON.stringify({
    topic: `spBv1.0/G/DBIRTH/E/${device}`,
    payload: { timestamp: 1, seq: 0, metrics: names.map((name) => ({ name, datatype: 10 })) },
  });

async function ingest(device: string, names: string[]): Promise<number> {
  const { rows } = await db.pool('uns_meta_app').query<{ id: string }>("select (uns_meta.ingest_birth($1::jsonb) ->> 'device_id') as id", [
    birth(device, names),
  ]);
  return Number(rows[0]!.id);
}

async function sqlstateOf(client: PoolClient, sql: string, params: unknown[]): Promise<string> {
  return client.query(sql, params).then(
    () => 'no error',
    (e: { code?: string }) => e.code ?? 'no code',
  );
}

async function count(sql: string, params: unknown[]): Promise<number> {
  const { rows } = await db.pool('uns_meta_admin').query<{ n: number }>(sql, params);
  return rows[0]!.n;
}

async function withSessions(run: (writer: PoolClient, admin: PoolClient) => Promise<void>): Promise<void> {
  const writer = await db.pool('uns_meta_app').connect();
  const admin = await db.pool('uns_meta_admin').connect();
  try {
    await run(writer, admin);
  } finally {
    await writer.query('rollback').catch(() => undefined);
    writer.release();
    admin.release();
  }
}

describe('metrics -> devices across sessions', () => {
  it('a delete of the device waits for the transaction inserting its metric, then removes the metric', async () => {
    const deviceId = await ingest('D1', ['Tag']);
    await withSessions(async (writer, admin) => {
      // A write outside ingest_birth empties birth_fingerprints (tables/birth_fingerprints), whose row of the device
      // the delete would then wait for too: empty it first, so only the device's lock can make the delete wait.
      await admin.query('delete from uns_meta.birth_fingerprints');
      await writer.query('begin');
      await writer.query("insert into uns_meta.metrics (device_id, name, uns_path, datatype) values ($1, 'New', 'G/E/D1/New', 10)", [deviceId]);

      await admin.query("set lock_timeout = '300ms'");
      // An update of other columns takes FOR NO KEY UPDATE, which FOR KEY SHARE does not block.
      expect(await sqlstateOf(admin, "update uns_meta.devices set plant = 'P' where device_id = $1", [deviceId])).toBe('no error');
      // lock_not_available: the writer holds the device FOR KEY SHARE.
      expect(await sqlstateOf(admin, 'delete from uns_meta.devices where device_id = $1', [deviceId])).toBe('55P03');

      await writer.query('commit');
      await admin.query("set lock_timeout = '10s'");
      expect(await sqlstateOf(admin, 'delete from uns_meta.devices where device_id = $1', [deviceId])).toBe('no error');
    });
    expect(await count('select count(*)::int as n from uns_meta.metrics where device_id = $1', [deviceId])).toBe(0);
  });

  it('a metric of a device deleted meanwhile is refused with 23503', async () => {
    const deviceId = await ingest('D2', ['Tag']);
    await db.pool('uns_meta_admin').query('delete from uns_meta.devices where device_id = $1', [deviceId]);
    const error = await db
      .pool('uns_meta_app')
      .query("insert into uns_meta.metrics (device_id, name, uns_path, datatype) values ($1, 'Late', 'G/E/D2/Late', 10)", [deviceId])
      .then(
        () => null,
        (e: { code?: string; constraint?: string; detail?: string }) => ({ code: e.code, constraint: e.constraint, detail: e.detail }),
      );
    expect(error).toEqual({
      code: '23503',
      constraint: 'metrics_device_id_fkey',
      detail: `Key (device_id)=(${deviceId}) is not present in table "devices".`,
    });
  });
});

describe('metric_versions -> metrics across sessions', () => {
  it('a delete of the metric waits for the transaction appending its version, then removes the version', async () => {
    const deviceId = await ingest('D3', ['Tag']);
    const metricId = await count("select metric_id::int as n from uns_meta.metrics where device_id = $1 and name = 'Tag'", [deviceId]);
    await withSessions(async (writer, admin) => {
      await writer.query('begin');
      await writer.query("insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff) values ($1, 99, 'updated', '{}')", [metricId]);

      await admin.query("set lock_timeout = '300ms'");
      expect(await sqlstateOf(admin, 'delete from uns_meta.metrics where metric_id = $1', [metricId])).toBe('55P03');

      await writer.query('commit');
      await admin.query("set lock_timeout = '10s'");
      expect(await sqlstateOf(admin, 'delete from uns_meta.metrics where metric_id = $1', [metricId])).toBe('no error');
    });
    expect(await count('select count(*)::int as n from uns_meta.metric_versions where metric_id = $1', [metricId])).toBe(0);
  });

  it('a version of a metric deleted meanwhile is refused with 23503', async () => {
    const deviceId = await ingest('D4', ['Tag']);
    const metricId = await count("select metric_id::int as n from uns_meta.metrics where device_id = $1 and name = 'Tag'", [deviceId]);
    await db.pool('uns_meta_admin').query('delete from uns_meta.metrics where metric_id = $1', [metricId]);
    const error = await db
      .pool('uns_meta_app')
      .query("insert into uns_meta.metric_versions (metric_id, version_no, change_kind, diff) values ($1, 2, 'updated', '{}')", [metricId])
      .then(
        () => null,
        (e: { code?: string; constraint?: string; message: string }) => ({ code: e.code, constraint: e.constraint, message: e.message }),
      );
    expect(error).toEqual({
      code: '23503',
      constraint: 'metric_versions_metric_id_fkey',
      message: 'insert or update on table "metric_versions" violates foreign key constraint "metric_versions_metric_id_fkey"',
    });
  });
});

// canary_sync_state.metric_id -> metrics (triggers/canary_sync_state_reference), written by the worker's upsert
// (src/worker/sql/confirm.sql) as uns_meta_app.
describe('canary_sync_state -> metrics across sessions', () => {
  const confirm = 'insert into uns_meta.canary_sync_state as s (metric_id, confirmed_version, outcome) values ($1, 1, \'written\') ' +
    'on conflict (metric_id) do update set confirmed_version = excluded.confirmed_version';

  it('a delete of the metric waits for the transaction confirming it, then removes the confirmation', async () => {
    const deviceId = await ingest('D5', ['Tag']);
    const metricId = await count("select metric_id::int as n from uns_meta.metrics where device_id = $1 and name = 'Tag'", [deviceId]);
    await withSessions(async (writer, admin) => {
      await writer.query('begin');
      await writer.query(confirm, [metricId]);

      await admin.query("set lock_timeout = '300ms'");
      // lock_not_available: the worker's transaction holds the metric FOR KEY SHARE.
      expect(await sqlstateOf(admin, 'delete from uns_meta.metrics where metric_id = $1', [metricId])).toBe('55P03');

      await writer.query('commit');
      await admin.query("set lock_timeout = '10s'");
      expect(await sqlstateOf(admin, 'delete from uns_meta.metrics where metric_id = $1', [metricId])).toBe('no error');
    });
    expect(await count('select count(*)::int as n from uns_meta.canary_sync_state where metric_id = $1', [metricId])).toBe(0);
  });

  it('a confirmation of a metric deleted meanwhile is refused with 23503', async () => {
    const deviceId = await ingest('D6', ['Tag']);
    const metricId = await count("select metric_id::int as n from uns_meta.metrics where device_id = $1 and name = 'Tag'", [deviceId]);
    await db.pool('uns_meta_admin').query('delete from uns_meta.metrics where metric_id = $1', [metricId]);
    const error = await db.pool('uns_meta_app').query(confirm, [metricId]).then(
      () => null,
      (e: { code?: string; constraint?: string; message: string }) => ({ code: e.code, constraint: e.constraint, message: e.message }),
    );
    expect(error).toEqual({
      code: '23503',
      constraint: 'canary_sync_state_metric_id_fkey',
      message: 'insert or update on table "canary_sync_state" violates foreign key constraint "canary_sync_state_metric_id_fkey"',
    });
  });
});
