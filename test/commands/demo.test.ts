// `uns-meta demo` end to end on a private database: Mosquitto, the Canary simulator, the ingestor and the worker in
// one run; the catalog, Canary parity and the simulator's read-back; the same birth again is a no-op.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const run = promisify(execFile);
const tag = 'Secil.Portugal.Cement.Maceira.400 - Clinker Production.432 - Kiln.Normalised.Machines.FO6RGH32M1.Closed';
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function demo(databaseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, ['src/cli.ts', 'demo'], { env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 60_000 })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
    .catch((e: unknown) => e as { code: number; stdout: string; stderr: string });
}

async function setDebounce(value: string): Promise<void> {
  // The clone's pools are ended by db.drop().
  await db.pool('uns_meta_admin').query(`update uns_meta.settings set value = to_jsonb($1::text) where key = 'debounce_interval'`, [value]);
}

it('refuses to wait out a long debounce_interval and says how to shorten it', async () => {
  const res = await demo(db.url('uns_meta_app'));
  expect(res.code).toBe(1);
  expect(res.stderr).toMatch(/debounce_interval is 00:03:00 .*make demo/);
});

it('runs the birth through Mosquitto, the ingestor, the catalog, the worker and Canary; the same birth again is a no-op', async () => {
  await setDebounce('1 second');
  // an identity that is not at its start, as in any database that has seen devices before
  await db.pool('uns_meta_admin').query(`select setval(pg_get_serial_sequence('uns_meta.devices', 'device_id'), 41)`);
  const { code, stdout, stderr } = await demo(db.url('uns_meta_app'));
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout).toMatch(/demo: Mosquitto listening on mqtt:\/\/127\.0\.0\.1:\d+/);
  // the device's id is whatever the clone's identity hands out: read it, do not assume 1
  const device = await db.pool('uns_meta_ro').query<{ device_id: string }>(`select device_id::text from uns_meta.devices where uns_path = 'Secil/Portugal/Cement'`);
  expect(device.rows).toHaveLength(1);
  expect(stdout).toContain(`demo: committed: device ${device.rows[0]?.device_id}, 3 live metrics, metric versions 0 -> 3`);
  expect(stdout).toContain(`demo:   ${tag} (plant Maceira`);
  expect(stdout).toContain('demo: uns_meta.canary_parity: 3/3 in_sync');
  const held = /demo: simulator holds Secil\.Portugal[^:]*Closed: (\{.*\})/.exec(stdout)?.[1];
  expect(JSON.parse(held ?? '{}')).toMatchObject({ Description: 'Valvula doseadora H32.1 extraccao SHI2 para caleira H57 - Closed/Position2' });
  expect(stdout).toContain('demo: re-birth is a no-op: metric versions 3 -> 3, Canary storeData requests 1 -> 1');
  expect(stdout).toContain('; done');

  const { rows } = await db.pool('uns_meta_ro').query<{ status: string; n: number }>(
    `select status, count(*)::int as n from uns_meta.canary_parity group by status`);
  expect(rows).toEqual([{ status: 'in_sync', n: 3 }]);
});

it('runs again on the same database: the catalog already holds the birth, the new simulator is filled by a resync', async () => {
  const { code, stdout } = await demo(db.url('uns_meta_app'));
  expect(code).toBe(0);
  expect(stdout).toContain('metric versions 3 -> 3');
  expect(stdout).toContain('the catalog already held this birth');
  expect(stdout).toContain('demo: uns_meta.canary_parity: 3/3 in_sync');
  expect(stdout).toMatch(/demo: simulator holds Secil\.Portugal[^:]*Closed: \{.*"Description"/);
  expect(stdout).toContain('demo: re-birth is a no-op: metric versions 3 -> 3, Canary storeData requests 1 -> 1');
});

it('fails with a clear message and exit code 1 when the database is not deployed', async () => {
  const res = await demo(db.url('uns_meta_app').replace(/\/[^/]+$/, '/postgres'));
  expect(res.code).toBe(1);
  expect(res.stderr).toMatch(/failed while connecting to the database: .*run `make db`/);
});
