// The test harness itself: each file gets a private clone of the deployed template, reachable by every role.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('test database clone', () => {
  it('is deployed: the schema, the settings and the graphile-worker schema are there', async () => {
    const { rows } = await db.pool('uns_meta_ro').query<{ debounce: string; worker: boolean }>(
      `select uns_meta.setting_interval('debounce_interval')::text as debounce,
              exists (select 1 from pg_namespace where nspname = 'graphile_worker') as worker`,
    );
    expect(rows[0]).toEqual({ debounce: '00:03:00', worker: true });
  });

  it('is private: writes here are invisible to a second clone', async () => {
    const other = await createTestDatabase();
    try {
      await db.pool('uns_meta_app').query(
        `insert into uns_meta.devices (group_id, edge, device, uns_path) values ('G', 'E', 'D', 'G/E/D')`,
      );
      const { rows } = await other.pool('uns_meta_ro').query('select count(*)::int as n from uns_meta.devices');
      expect(rows[0]).toEqual({ n: 0 });
    } finally {
      await other.drop();
    }
  });
});
