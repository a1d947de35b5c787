// Logical replication by role, on a real walsender (issue 14, "Security"): uns_meta_cdc opens a replication
// connection and creates a logical slot on the publication's plugin; the other service roles are refused one.
// What uns_meta_cdc may read through SQL is checked from the catalog in sql-tests/grants/public_defaults.sql.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Role, type TestDatabase, configFor, createTestDatabase } from '../support/database.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

function replicationClient(role: Role): pg.Client {
  // node-postgres passes `replication` on to the server; its ClientConfig type does not declare it.
  const config: pg.ClientConfig & { replication: 'database' } = { ...configFor(db.url(role)), replication: 'database' };
  return new pg.Client(config);
}

describe('replication connections', () => {
  it('uns_meta_cdc identifies the system and creates a temporary logical slot (pgoutput)', async () => {
    const c = replicationClient('uns_meta_cdc');
    await c.connect();
    try {
      const system = await c.query<{ dbname: string }>('IDENTIFY_SYSTEM');
      expect(system.rows[0]?.dbname).toBe(db.name);
      // TEMPORARY: dropped when this session ends, so the shared cluster keeps no slot of the test.
      const slot = `uns_meta_t_${randomBytes(4).toString('hex')}`;
      const created = await c.query<{ slot_name: string }>(`CREATE_REPLICATION_SLOT ${slot} TEMPORARY LOGICAL pgoutput`);
      expect(created.rows[0]?.slot_name).toBe(slot);
    } finally {
      await c.end();
    }
  });

  for (const role of ['uns_meta_app', 'uns_meta_ro'] as const) {
    it(`${role} is refused a replication connection`, async () => {
      const c = replicationClient(role);
      c.on('error', () => undefined);
      const err = await c.connect().then(() => c.end().then(() => undefined), (e: unknown) => e as { code?: string; message: string });
      expect(err?.message).toMatch(/replication|WAL sender/i);
      expect(['42501', '28000']).toContain(err?.code);
    });
  }
});
