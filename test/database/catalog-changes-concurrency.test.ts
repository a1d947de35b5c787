// A DBA's write to a device's metrics and a birth of that device at the same time (triggers/catalog_changes): the
// triggers take the device's birth lock (uns_meta.device_birth_lock, the advisory lock ingest_birth takes first), so
// the birth waits for the DBA's commit and then numbers its version after the DBA's, instead of reading the version
// before it and failing on uq_metric_versions_metric_version (23505) when the DBA commits. pgTAP runs in one
// transaction, so the two sessions are tested here.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const birth = (unit: string) => JSON.stringify({
  topic: 'spBv1.0/G/DBIRTH/E/D',
  payload: { metrics: [{ name: 'm', datatype: 10, properties: { keys: ['engUnit'], values: [{ type: 12, stringValue: unit }] } }] },
});

let db: TestDatabase;
let dba: pg.PoolClient;
let app: pg.PoolClient;
beforeAll(async () => {
  db = await createTestDatabase();
  dba = await db.pool('uns_meta_admin').connect();
  app = await db.pool('uns_meta_app').connect();
});
afterAll(async () => {
  dba.release();
  app.release();
  await db.drop();
});

/** Runs `fix` in an open DBA transaction, starts a birth changing engUnit to `unit`, commits once the birth waits
 * on the DBA's locks, and returns how the birth ended ('ok' or its SQLSTATE). */
async function raceBirth(fix: string, unit: string): Promise<string | undefined> {
  // Without a stored fingerprint (a chunked birth, or after any other write emptied them), nothing else makes the
  // birth wait: emptying birth_fingerprints row by row in the DBA's transaction would.
  await dba.query('delete from uns_meta.birth_fingerprints');
  await dba.query('begin');
  await dba.query(fix);
  const pid = (await app.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
  const applying = app.query('select uns_meta.ingest_birth($1::jsonb)', [birth(unit)]).then(() => 'ok', (e: { code?: string }) => e.code);
  for (let i = 0; ; i++) {
    const { rows } = await dba.query<{ waiting: boolean }>(
      'select exists (select from pg_locks where pid = $1 and not granted) as waiting', [pid]);
    if (rows[0]!.waiting) break;
    if (i > 100) throw new Error('the birth never waited for the DBA transaction');
    await sleep(50);
  }
  await dba.query('commit');
  return applying;
}

describe('a DBA fix and a birth of the same device at the same time', () => {
  it('a property fix: the birth waits for the DBA to commit and writes the next version', async () => {
    await app.query('select uns_meta.ingest_birth($1::jsonb)', [birth('degC')]);
    expect(await raceBirth(`update uns_meta.metric_properties set value_string = 'K' where key = 'engUnit'`, 'bar')).toBe('ok');
    const { rows } = await dba.query<{ version_no: number; changed_by: string; value: string }>(
      `select version_no, changed_by, diff #>> '{properties,changed,engUnit,new,value}' as value
         from uns_meta.metric_versions order by version_no`);
    expect(rows).toEqual([
      { version_no: 1, changed_by: 'system', value: null },
      { version_no: 2, changed_by: 'uns_meta_admin', value: 'K' },
      { version_no: 3, changed_by: 'system', value: 'bar' },
    ]);
  });

  it('a fix of the metric row: the same', async () => {
    expect(await raceBirth('update uns_meta.metrics set is_historical = true', 'psi')).toBe('ok');
    const { rows } = await dba.query<{ version_no: number; changed_by: string }>(
      'select version_no, changed_by from uns_meta.metric_versions where version_no > 3 order by version_no');
    expect(rows).toEqual([{ version_no: 4, changed_by: 'uns_meta_admin' }, { version_no: 5, changed_by: 'system' }]);
  });
});
